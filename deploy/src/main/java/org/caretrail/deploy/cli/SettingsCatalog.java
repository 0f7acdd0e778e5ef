package org.caretrail.deploy.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.caretrail.consumers.subscriptions.DeliveryConfig;
import org.caretrail.deploy.PlatformSettings;
import org.caretrail.deploy.http.HttpLimits;
import org.caretrail.events.kafka.DurableProducer;
import org.caretrail.events.settings.Setting;
import org.caretrail.producers.fhir.FhirSettings;
import org.caretrail.producers.hl7.Hl7Settings;
import org.caretrail.timeline.TimelineSettings;

/**
 * Every setting of every module, grouped by module: what {@code caretrail up} resolves, {@code caretrail config}
 * prints and the README's configuration section lists. Each module declares its own settings beside the code that
 * uses them; this class only gathers them.
 */
public final class SettingsCatalog {

    /** Each group's name (the settings' first name part) and what it configures. */
    public static final Map<String, String> GROUPS;
    /** Every setting, group by group. */
    public static final List<Setting<?>> ALL;

    static {
        Map<String, List<Setting<?>>> groups = new LinkedHashMap<>();
        Map<String, String> titles = new LinkedHashMap<>();
        add(groups, titles, "up", "caretrail up: where it runs and what it starts (deploy)", PlatformSettings.DEFINITIONS);
        add(groups, titles, "kafka", "every Kafka producer CareTrail makes (events-schema)",
                List.of(DurableProducer.COMPRESSION));
        add(groups, titles, "access", "who may call the HTTP APIs (deploy)", AccessOptions.DEFINITIONS);
        add(groups, titles, "http", "the HTTP front door's limits (deploy)", HttpLimits.DEFINITIONS);
        add(groups, titles, "timeline", "the timeline stream processor (stream-processor)", TimelineSettings.all());
        add(groups, titles, "hl7", "the HL7v2 MLLP adapter (producers)", Hl7Settings.DEFINITIONS);
        add(groups, titles, "fhir", "the FHIR R4 gateway (producers)", FhirSettings.DEFINITIONS);
        add(groups, titles, "delivery", "subscriptions and webhook delivery (consumers)", DeliveryConfig.DEFINITIONS);
        List<Setting<?>> client = new ArrayList<>(ConnectionOptions.DEFINITIONS);
        client.addAll(TimelineCommand.DEFINITIONS);
        add(groups, titles, "client", "where the other commands (topics, publish, import, simulate, replay, rebuild, "
                + "audit, timeline) connect (deploy)", client);
        List<Setting<?>> all = new ArrayList<>();
        groups.values().forEach(all::addAll);
        ALL = List.copyOf(all);
        GROUPS = java.util.Collections.unmodifiableMap(titles);
    }

    private SettingsCatalog() {
    }

    private static void add(Map<String, List<Setting<?>>> groups, Map<String, String> titles, String group,
            String title, List<Setting<?>> settings) {
        for (Setting<?> s : settings) {
            if (!s.group().equals(group)) {
                throw new IllegalStateException("setting " + s.name() + " is listed under " + group);
            }
        }
        groups.put(group, settings);
        titles.put(group, title);
    }
}
