package org.caretrail.events.settings;

/** Where a setting's value came from, lowest precedence first. */
public enum SettingSource {
    /** The setting's own default. */
    DEFAULT("default"),
    /** The config file ({@code --config caretrail.properties}). */
    FILE("file"),
    /** An environment variable ({@code CARETRAIL_...}). */
    ENV("env"),
    /** A command-line option ({@code --set name=value} or the option of its own). */
    OPTION("option");

    private final String label;

    SettingSource(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
