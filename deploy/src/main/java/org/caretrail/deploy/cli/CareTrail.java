package org.caretrail.deploy.cli;

import org.caretrail.events.kafka.DurableProducer;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code caretrail} command: runs the platform and its tools. */
@Command(name = "caretrail",
        mixinStandardHelpOptions = true,
        versionProvider = CareTrail.Version.class,
        description = {
            "CareTrail joins up health and care events from GP practices, hospitals, community, ambulance,",
            "mental health and social care services into one timeline per patient, on Apache Kafka.",
            "",
            "Start everything on this machine:  caretrail up",
            "Then look at a patient:            caretrail timeline 9912003888",
            "Measure it beside Kafka and Flink: caretrail bench (deploy/bench/run; see its --help)"},
        subcommands = {
            UpCommand.class,
            ConfigCommand.class,
            ClusterCommand.class,
            TopicsCommand.class,
            PublishCommand.class,
            ImportCommand.class,
            SimulateCommand.class,
            ReplayCommand.class,
            RebuildCommand.class,
            TimelineCommand.class,
            AuditCommand.class,
            CommandLine.HelpCommand.class
        })
public final class CareTrail implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The JDK's own HTTP server for {@code HttpServer.create}; see {@link #keepTheJdkHttpServerProvider()}. */
    static final String JDK_HTTP_SERVER_PROVIDER = "sun.net.httpserver.DefaultHttpServerProvider";

    public static void main(String[] args) {
        keepTheJdkHttpServerProvider();
        System.exit(commandLine().execute(args));
    }

    /**
     * {@code jetty-http-spi} (the platform's HTTP front door) registers Jetty as the JVM-wide provider of
     * {@code HttpServer.create}. The platform builds its Jetty server itself, with its limits; anything
     * else in the JVM that calls {@code HttpServer.create} keeps the JDK's server, as before. Must run
     * before the first {@code HttpServer.create} (the launcher script and the image set it too; the bench calls it).
     */
    public static void keepTheJdkHttpServerProvider() {
        if (System.getProperty("com.sun.net.httpserver.HttpServerProvider") == null) {
            System.setProperty("com.sun.net.httpserver.HttpServerProvider", JDK_HTTP_SERVER_PROVIDER);
        }
    }

    /**
     * The platform {@code caretrail up upArguments...} runs, built from up's options, --set, the environment and
     * --config exactly as the command builds it, but not started (the caller starts and closes it): for embedding
     * CareTrail, and for tests that what an operator configures reaches the running platform.
     *
     * @throws CommandLine.ParameterException for arguments {@code up} does not take
     * @throws IllegalArgumentException for a setting that is unknown or fails its check
     */
    public static org.caretrail.deploy.Platform up(String... upArguments) throws Exception {
        String[] args = new String[upArguments.length + 1];
        args[0] = "up";
        System.arraycopy(upArguments, 0, args, 1, upArguments.length);
        CommandLine.ParseResult parsed = commandLine().parseArgs(args);
        return ((UpCommand) parsed.subcommand().commandSpec().userObject()).platform(System.out);
    }

    /** The configured command line (also used by tests). */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new CareTrail());
        cli.setUsageHelpWidth(110);
        cli.setExecutionStrategy(CareTrail::checkEnvironmentThenRun);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // a message may quote what came from elsewhere (a record, an answer): printed without control characters
            commandLine.getErr().println(commandLine.getColorScheme().errorText("caretrail: "
                    + TerminalText.clean(message(e))));
            org.slf4j.LoggerFactory.getLogger(CareTrail.class).debug("command failed", e);
            return 1;
        });
        return cli;
    }

    /**
     * Settings every command honours that come from the environment (today the Kafka compression,
     * {@link DurableProducer#compression()}) are checked before any command starts, so a typo stops
     * {@code caretrail up} at once with a clear message (exit code 2), not later in the first write.
     */
    static int checkEnvironmentThenRun(CommandLine.ParseResult parseResult) {
        try {
            DurableProducer.compression();
        } catch (IllegalArgumentException e) {
            CommandLine cli = parseResult.commandSpec().commandLine();
            cli.getErr().println(cli.getColorScheme().errorText("caretrail: " + TerminalText.clean(e.getMessage())));
            return 2;
        }
        return new CommandLine.RunLast().execute(parseResult);
    }

    private static String message(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && (t.getMessage() == null || t instanceof java.util.concurrent.ExecutionException)) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = CareTrail.class.getPackage().getImplementationVersion();
            return new String[] {"caretrail " + (version == null ? "development build" : version)
                    + " (Kafka " + org.apache.kafka.common.utils.AppInfoParser.getVersion() + ", Java "
                    + System.getProperty("java.version") + ")"};
        }
    }
}
