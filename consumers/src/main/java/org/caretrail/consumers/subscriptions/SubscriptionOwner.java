package org.caretrail.consumers.subscriptions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;

/**
 * Who created a subscription, as the platform verified them at that moment: the token's subject,
 * the client it was issued to, and the roles it carried. What a subscription may receive follows
 * from these roles, never from what the request asked for; a grant lasts until the subscription is
 * deleted (delete and re-create it to apply a changed role).
 */
public record SubscriptionOwner(String subject, String client, Set<Role> roles) {

    public SubscriptionOwner {
        Objects.requireNonNull(subject, "subject");
        roles = roles == null || roles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(roles));
    }

    public static SubscriptionOwner of(Caller caller) {
        return new SubscriptionOwner(caller.subject(), caller.client(), caller.roles());
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }

    /** Whether {@code caller} is this owner (the same verified subject). */
    public boolean is(Caller caller) {
        return caller != null && subject.equals(caller.subject());
    }

    public ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("subject", subject);
        node.put("client", client);
        ArrayNode list = node.putArray("roles");
        roles.stream().sorted().forEach(r -> list.add(r.name()));
        return node;
    }

    /** Reads {@link #toJson()}; unknown role names are left out (never granted). */
    public static SubscriptionOwner fromJson(JsonNode node) {
        if (node == null || !node.isObject() || !node.path("subject").isTextual()) {
            throw new IllegalArgumentException("owner needs a subject");
        }
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (JsonNode role : node.path("roles")) {
            for (Role known : Role.values()) {
                if (known.name().equals(role.asText())) {
                    roles.add(known);
                }
            }
        }
        return new SubscriptionOwner(node.path("subject").asText(),
                node.path("client").isTextual() ? node.path("client").asText() : null, roles);
    }
}
