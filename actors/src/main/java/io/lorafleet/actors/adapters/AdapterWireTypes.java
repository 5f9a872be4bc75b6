package io.lorafleet.actors.adapters;

import io.lorafleet.actors.serialization.CrossNodeTypes;
import java.util.List;

/** The adapter package's cross-node types: entity messages, residency reports, the registry's values. */
public final class AdapterWireTypes implements CrossNodeTypes {
  @Override
  public List<Class<?>> types() {
    return List.of(
        Tier.class,
        NodeResidency.class,
        NodeResidency[].class,
        RegisteredAdapter.class,
        AdapterEntity.Resolve.class,
        AdapterEntity.Resolution.class,
        AdapterEntity.Register.class,
        AdapterEntity.RegisterResult.class,
        AdapterEntity.Report.class,
        AdapterEntity.SetPinned.class,
        AdapterEntity.Remove.class,
        AdapterEntity.RemoveResult.class,
        AdapterEntity.NodeUnloaded.class,
        AdapterEntity.GetStatus.class,
        AdapterEntity.AdapterStatus.class,
        AdapterStore.Unload.class,
        AdapterStore.PinChanged.class);
  }
}
