package io.lorafleet.actors.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.DefaultClassResolver;
import com.esotericsoftware.kryo.util.Pool;
import com.typesafe.config.Config;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Serializes the {@link CrossNode} messages with Kryo. The manifest is the class name; only the types the
 * packages contribute ({@link CrossNodeTypes}, named in {@code lorafleet.serialization.cross-node-types})
 * are ever written or read, so a peer cannot make this node instantiate anything else. Every length a
 * message declares (arrays, strings) is checked against the bytes left before anything is allocated
 * ({@link LengthBoundedSerializers}); a malformed message is refused with {@link NotSerializableException}.
 * Kryo instances are not thread-safe: they come from a pool.
 */
public final class KryoMessageSerializer extends SerializerWithStringManifest {
  /** The configuration list of {@link CrossNodeTypes} implementations, in registration order. */
  public static final String TYPES_SETTING = "lorafleet.serialization.cross-node-types";

  private static final int FIRST_ID = 100;
  private static final int ACTOR_REF_ID = 99;

  private final ActorRefResolver resolver;
  private final List<Class<?>> registered;
  private final Map<String, Class<?>> byManifest = new HashMap<>();
  private final Pool<Kryo> pool;

  public KryoMessageSerializer(ExtendedActorSystem system) {
    this.resolver = ActorRefResolver.get(Adapter.toTyped(system));
    this.registered = registeredTypes(system.settings().config());
    for (Class<?> c : registered) {
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
    for (Class<?> c : registered) {
      kryo.register(c, id++);
    }
    LengthBoundedSerializers.install(kryo, registered);
    return kryo;
  }

  /**
   * Every cross-node type the configured contributions list, in registration order.
   *
   * @throws IllegalArgumentException when a contribution cannot be loaded or a type is listed twice
   */
  public static List<Class<?>> registeredTypes(Config config) {
    List<Class<?>> all = new ArrayList<>();
    for (String name : config.getStringList(TYPES_SETTING)) {
      CrossNodeTypes contribution;
      try {
        contribution = (CrossNodeTypes) Class.forName(name).getConstructor().newInstance();
      } catch (ReflectiveOperationException | ClassCastException e) {
        throw new IllegalArgumentException(TYPES_SETTING + ": " + name + " is not a CrossNodeTypes with a public "
            + "no-argument constructor (" + e + ")", e);
      }
      for (Class<?> c : contribution.types()) {
        if (all.contains(c)) {
          throw new IllegalArgumentException(TYPES_SETTING + ": " + c.getName() + " is listed twice");
        }
        all.add(c);
      }
    }
    return List.copyOf(all);
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
      Object message = kryo.readObject(in, type);
      pool.free(kryo);
      return message;
    } catch (RuntimeException e) { // a malformed message: refused, and this Kryo (maybe mid-graph) is dropped
      var refused = new NotSerializableException(manifest + ": malformed message (" + e.getMessage() + ")");
      refused.initCause(e);
      throw refused;
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
      return resolver.resolveActorRef(LengthBoundedSerializers.readString(input));
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
