package org.caretrail.timeline.query;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;

/** A page of a patient's timeline, with the summary and how many entries match in all. */
public record TimelinePage(TimelineQuery query, TimelineSummary summary, List<TimelineEntry> entries,
        long matchingEntries, Instant at) {

    public boolean hasMore() {
        return (long) (query.page() + 1) * query.size() < matchingEntries;
    }

    /** The JSON form served by {@code GET /api/v1/patients/{nhsNumber}/timeline}. */
    public ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("nhsNumber", query.nhsNumber());
        // the moment the derived views describe: now, or the asOf asked for
        node.put("at", at.toString());
        ObjectNode summaryJson = CareEventJson.toJson(summary);
        ArrayNode referrals = (ArrayNode) summaryJson.path("openReferrals");
        for (int i = 0; i < referrals.size(); i++) {
            Instant referred = summary.getOpenReferrals().get(i).getOccurredAt();
            ((ObjectNode) referrals.get(i)).put("waitingDays", Math.max(0, Duration.between(referred, at).toDays()));
        }
        node.set("summary", summaryJson);
        ArrayNode array = node.putArray("entries");
        entries.forEach(e -> array.add(CareEventJson.toJson(e)));
        ObjectNode paging = node.putObject("page");
        paging.put("number", query.page());
        paging.put("size", query.size());
        paging.put("matchingEntries", matchingEntries);
        paging.put("hasMore", hasMore());
        ObjectNode filter = node.putObject("filter");
        filter.put("from", query.from() == null ? null : query.from().toString());
        filter.put("to", query.to() == null ? null : query.to().toString());
        ArrayNode types = filter.putArray("types");
        query.types().stream().map(Enum::name).sorted().forEach(types::add);
        filter.put("history", query.history());
        filter.put("asOf", query.asOf() == null ? null : query.asOf().toString());
        return node;
    }
}
