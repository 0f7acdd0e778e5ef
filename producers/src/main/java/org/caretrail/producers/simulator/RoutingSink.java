package org.caretrail.producers.simulator;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;

/**
 * Sends each event to the first route whose condition matches, else to the fallback. Used to put
 * part of the simulator's traffic through the real adapters:
 *
 * <pre>{@code
 * EventSink sink = RoutingSink.builder()
 *         .route(RoutingSink.ofTypes(CareEventType.ADMISSION, CareEventType.TRANSFER, CareEventType.DISCHARGE)
 *                 .and(RoutingSink.sample(0.3)), mllpSink)
 *         .route(RoutingSink.ofTypes(CareEventType.REFERRAL).and(RoutingSink.sample(0.3)), fhirSink)
 *         .otherwise(EventSink.publisher(publisher));
 * }</pre>
 *
 * <p>Routing by {@link #sample} is by eventId, so a duplicated event always takes the same path.
 * Closing closes every route's sink and the fallback.
 */
public final class RoutingSink implements EventSink {

    private record Route(Predicate<SpecificRecord> condition, EventSink sink) {
    }

    private final List<Route> routes;
    private final EventSink fallback;

    private RoutingSink(List<Route> routes, EventSink fallback) {
        this.routes = List.copyOf(routes);
        this.fallback = Objects.requireNonNull(fallback, "fallback");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Events of these types. */
    public static Predicate<SpecificRecord> ofTypes(CareEventType... types) {
        List<CareEventType> list = List.of(types);
        return event -> list.contains(CareEventType.of(event));
    }

    /** A stable share of events (0 to 1), chosen by a hash of the eventId. */
    public static Predicate<SpecificRecord> sample(double share) {
        if (share < 0 || share > 1) {
            throw new IllegalArgumentException("share must be 0 to 1, got " + share);
        }
        return event -> {
            int bucket = Math.floorMod(CareEvents.header(event).getEventId().hashCode() * 0x9E3779B1, 10_000);
            return bucket < share * 10_000;
        };
    }

    @Override
    public CompletableFuture<?> send(SpecificRecord event) {
        return sinkFor(event).send(event);
    }

    /** The sink {@code event} goes to. */
    public EventSink sinkFor(SpecificRecord event) {
        for (Route route : routes) {
            if (route.condition().test(event)) {
                return route.sink();
            }
        }
        return fallback;
    }

    @Override
    public void flush() {
        routes.forEach(r -> r.sink().flush());
        fallback.flush();
    }

    @Override
    public String name() {
        List<String> names = new ArrayList<>();
        routes.forEach(r -> names.add(r.sink().name()));
        names.add(fallback.name());
        return String.join("+", names);
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        List<EventSink> sinks = new ArrayList<>();
        routes.forEach(r -> sinks.add(r.sink()));
        sinks.add(fallback);
        for (EventSink sink : sinks) {
            try {
                sink.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    public static final class Builder {
        private final List<Route> routes = new ArrayList<>();

        public Builder route(Predicate<SpecificRecord> condition, EventSink sink) {
            routes.add(new Route(Objects.requireNonNull(condition), Objects.requireNonNull(sink)));
            return this;
        }

        public RoutingSink otherwise(EventSink fallback) {
            return new RoutingSink(routes, fallback);
        }
    }
}
