package io.lorafleet.actors.routing;

import io.lorafleet.actors.serialization.CrossNodeTypes;
import io.lorafleet.runtime.engine.FinishReason;
import java.util.List;

/**
 * The routing package's cross-node types: relayed requests and their events, load announcements, adapter
 * placements (and the arrays and enums their fields use).
 */
public final class RoutingWireTypes implements CrossNodeTypes {
  @Override
  public List<Class<?>> types() {
    return List.of(
        int[].class,
        int[][].class,
        float[].class,
        float[][].class,
        double[].class,
        String[].class,
        FinishReason.class,
        WireParams.class,
        WireToken.class,
        WireResult.class,
        WireError.class,
        RelayEvent.Started.class,
        RelayEvent.Refused.class,
        RelayEvent.Token.class,
        RelayEvent.Finished.class,
        RelayEvent.Failed.class,
        GenerationService.Generate.class,
        GenerationService.Cancel.class,
        GenerationService.Drain.class,
        GenerationService.DropAdapter.class,
        NodeAnnouncement.class,
        AdapterPlacement.class);
  }
}
