package org.caretrail.deploy.cli;

import java.nio.file.Path;

/** Where the launcher script put things: the project root, the registry, the classpath. */
final class Launch {

    private Launch() {
    }

    static Path home() {
        return Path.of(System.getProperty("caretrail.home", "."));
    }

    static Path registryHome() {
        return Path.of(System.getProperty("caretrail.registry.home", home().resolve("deploy/target/apicurio").toString()));
    }

    static String classpath() {
        return System.getProperty("java.class.path");
    }
}
