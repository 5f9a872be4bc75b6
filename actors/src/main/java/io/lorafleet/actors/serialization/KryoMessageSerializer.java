package io.lorafleet.actors.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.DefaultClassResolver;
import com.esotericsoftware.kryo.util.Pool;
import io.lorafleet.actors.adapters.AdapterEntity;
import io.lorafleet.actors.adapters.AdapterStore;
import io.lorafleet.actors.adapters.NodeResidency;
import io.lorafleet.actors.adapters.RegisteredAdapter;
import io.lorafleet.actors.adapters.Tier;
import io.lorafleet.actors.cluster.ClusterSupervisor;
import io.lorafleet.actors.routing.AdapterPlacement;
import io.lorafleet.actors.routing.GenerationService;
import io.lorafleet.actors.routing.NodeAnnouncement;
import io.lorafleet.actors.routing.RelayEvent;
import io.lorafleet.actors.routing.WireError;
import io.lorafleet.actors.routing.WireParams;
import io.lorafleet.actors.routing.WireResult;
import io.lorafleet.actors.routing.WireToken;
import io.lorafleet.runtime.engine.FinishReason;
import java.io.NotSerializableException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Serializes the {@link CrossNode} messages with Kryo. The manifest is the class name; only the classes in
 * {@link #REGISTERED} (and their registered field types) are ever written or read, so a peer cannot make
 * this node instantiate anything else. Kryo instances are not thread-safe: they come from a pool.
 */
public final class KryoMessageSerializer extends SerializerWithStringManifest {
  /** Every cross-node type, in a fixed order (the order gives Kryo's registration ids: append only). */
  public static final List<Class<?>> REGISTERED = List.of(
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
      AdapterStore.PinChanged.class,
      // the fleet (cluster-config, routing, supervisor)
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
      AdapterPlacement.class,
      ClusterSupervisor.SetReplicas.class,
      ClusterSupervisor.MoveAdapter.class,
      ClusterSupervisor.PlacementResult.class,
      ClusterSupervisor.Rebalance.class,
      ClusterSupervisor.RebalanceResult.class,
      ClusterSupervisor.GetStatus.class,
      ClusterSupervisor.Status.class,
      ClusterSupervisor.Decision.class,
      ClusterSupervisor.Decision[].class);

  private static final int FIRST_ID = 100;
  private static final int ACTOR_REF_ID = 99;

  private final ActorRefResolver resolver;
  private final Map<String, Class<?>> byManifest = new HashMap<>();
  private final Pool<Kryo> pool;

  public KryoMessageSerializer(ExtendedActorSystem system) {
    this.resolver = ActorRefResolver.get(Adapter.toTyped(system));
    for (Class<?> c : REGISTERED) {
      byManifest.put(c.getName(), c);
    }
    this.pool = new Pool<>(true, false, 16) {
      @Override
      protected Kryo create() {
        return newKryo();
      }
    };
  }

  private Kryo newKryo() {
    Kryo kryo = new Kryo(new ActorRefClassResolver(), null);
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    kryo.register(ActorRef.class, new ActorRefSerializer(resolver), ACTOR_REF_ID);
    int id = FIRST_ID;
    for (Class<?> c : REGISTERED) {
      kryo.register(c, id++);
    }
    return kryo;
  }

  @Override
  public int identifier() {
    return 7_340_001;
  }

  @Override
  public String manifest(Object o) {
    return o.getClass().getName();
  }

  @Override
  public byte[] toBinary(Object o) {
    if (!byManifest.containsKey(o.getClass().getName())) {
      throw new IllegalArgumentException("not a registered cross-node message: " + o.getClass().getName());
    }
    Kryo kryo = pool.obtain();
    try (Output out = new Output(256, -1)) {
      kryo.writeObject(out, o);
      return out.toBytes();
    } finally {
      pool.free(kryo);
    }
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    Class<?> type = byManifest.get(manifest);
    if (type == null) {
      throw new NotSerializableException("unknown manifest " + manifest);
    }
    Kryo kryo = pool.obtain();
    try (Input in = new Input(bytes)) {
      return kryo.readObject(in, type);
    } finally {
      pool.free(kryo);
    }
  }

  /** Writes any typed actor ref as its serialization format string and resolves it on the way in. */
  private static final class ActorRefSerializer extends Serializer<ActorRef<?>> {
    private final ActorRefResolver resolver;

    ActorRefSerializer(ActorRefResolver resolver) {
      this.resolver = resolver;
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output output, ActorRef<?> ref) {
      output.writeString(resolver.toSerializationFormat(ref));
    }

    @Override
    public ActorRef<?> read(Kryo kryo, Input input, Class<? extends ActorRef<?>> type) {
      return resolver.resolveActorRef(input.readString());
    }
  }

  /** Maps every implementation of {@link ActorRef} to the one registration for the interface. */
  private static final class ActorRefClassResolver extends DefaultClassResolver {
    @Override
    @SuppressWarnings("rawtypes") // the overridden signature is raw
    public Registration getRegistration(Class type) {
      Registration r = super.getRegistration(type);
      if (r == null && type != null && ActorRef.class.isAssignableFrom(type)) {
        return super.getRegistration(ActorRef.class);
      }
      return r;
    }
  }
}
