package org.caretrail.deploy.cli;

import java.io.PrintWriter;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.caretrail.producers.publisher.CarePublisher;
import org.caretrail.producers.simulator.EventSink;
import org.caretrail.producers.simulator.PopulationSimulator;
import org.caretrail.producers.simulator.SimulationRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = {"Publish a synthetic population's care: GP registrations, ambulance conveyances, A&E, admissions,",
            "transfers, discharges, community and social care follow-up, referrals, repeat prescriptions, deaths;",
            "some events only with a hospital number (linked later), some duplicated, late, updated or cancelled.",
            "Deterministic for a seed. NHS numbers are from the 999 test range. Ctrl-C stops after in-flight sends."})
final class SimulateCommand implements Callable<Integer> {

    @Option(names = "--patients", defaultValue = "1000", description = "Patients (default: ${DEFAULT-VALUE})")
    int patients;

    @Option(names = "--rate", defaultValue = "0", description = "Events per second; 0 = as fast as possible (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Mixin
    ConnectionOptions connection;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PopulationSimulator population = new PopulationSimulator(seed, patients, Clock.systemUTC());
        population.showcasePatient(4).ifPresent(p -> out.println("A patient to look at: " + p.nhsNumber().value()
                + "  (caretrail timeline " + p.nhsNumber().value() + ")"));
        out.flush();
        ConsoleProgress progress = new ConsoleProgress(err);
        try (CarePublisher publisher = CarePublisher.connect(connection.kafka(org.caretrail.events.topic.CarePrincipal.ADAPTERS), connection.schemaRegistryUrl())) {
            SimulationRunner runner = new SimulationRunner(EventSink.publisher(publisher),
                    rate > 0 ? SimulationRunner.Settings.rate(rate) : SimulationRunner.Settings.unlimited(),
                    p -> progress.show(-1, String.format("%,d sent, %,d acknowledged, %,d failed, %.0f events/s",
                            p.sent(), p.acknowledged(), p.failed(), p.eventsPerSecond()), false));
            Thread hook = new Thread(runner::stop, "simulate-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            SimulationRunner.Result result = runner.run(population.events());
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is already running
            }
            progress.end();
            out.printf("%,d events sent, %,d acknowledged, %,d failed in %.1f s (%.0f events/s)%s%n", result.sent(),
                    result.acknowledged(), result.failed(), result.elapsed().toMillis() / 1000.0, result.eventsPerSecond(),
                    result.stopped() ? ", stopped early" : "");
            result.firstFailures().forEach(f -> err.println("failed: " + f));
            out.flush();
            err.flush();
            return result.failed() == 0 ? 0 : 1;
        }
    }
}
