package io.lorafleet.actors.protocol;

import com.google.protobuf.CodedInputStream;
import io.lorafleet.actors.serialization.WireProtocol;
import java.io.IOException;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Serializes every {@link io.lorafleet.actors.serialization.CrossNode} message and replicated value as the
 * Protobuf message of its schema ({@code src/main/proto/lorafleet/protocol}), named by a short stable manifest;
 * the mappers of the five protocol areas do the translation. Writes protocol version
 * {@code lorafleet.cluster.protocol-version}, reads every version since 1. A message of an unknown manifest, too
 * large, too deep, beyond a {@link WireLimits} limit or otherwise malformed is refused with
 * {@link NotSerializableException} (Artery then drops it).
 */
public final class ProtobufMessageSerializer extends SerializerWithStringManifest {
  /** Never changes: nodes of every release name this serializer by it. */
  public static final int IDENTIFIER = 7_340_002;

  private final Map<Class<?>, Binding<?>> byClass = new HashMap<>();
  private final Map<String, Binding<?>> byManifest = new HashMap<>();
  private final WireLimits limits;
  private final int version;

  public ProtobufMessageSerializer(ExtendedActorSystem system) {
    this(ActorRefResolver.get(Adapter.toTyped(system)), WireProtocol.written(system.settings().config()),
        WireLimits.of(system.settings().config()));
  }

  /** A serializer that writes protocol {@code version} (tests and measurements). */
  public ProtobufMessageSerializer(ActorRefResolver resolver, int version, WireLimits limits) {
    this.limits = limits;
    this.version = version;
    WireContext c = new WireContext(resolver, version, limits);
    List<Binding<?>> all = new ArrayList<>();
    all.addAll(new RelayMapper(c).bindings());
    all.addAll(new AdapterMapper(c).bindings());
    all.addAll(new LoadMapper(c).bindings());
    all.addAll(new SupervisorMapper(c).bindings());
    all.addAll(new TenantMapper(c).bindings());
    for (Binding<?> b : all) {
      if (byClass.put(b.type(), b) != null || byManifest.put(b.manifest(), b) != null) {
        throw new IllegalStateException("bound twice: " + b.type().getName() + " / " + b.manifest());
      }
    }
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  /** The protocol version this serializer writes. */
  public int version() {
    return version;
  }

  /** Every bound type and its manifest. */
  public Map<Class<?>, String> manifests() {
    Map<Class<?>, String> out = new HashMap<>();
    byClass.forEach((c, b) -> out.put(c, b.manifest()));
    return out;
  }

  private Binding<?> binding(Object o) {
    Binding<?> b = byClass.get(o.getClass());
    if (b == null) {
      throw new IllegalArgumentException("no Protobuf mapping for cross-node type " + o.getClass().getName());
    }
    return b;
  }

  @Override
  public String manifest(Object o) {
    return binding(o).manifest();
  }

  @Override
  public byte[] toBinary(Object o) {
    return toProto(o).toByteArray();
  }

  /** The Protobuf message {@code o} is written as. */
  com.google.protobuf.MessageLite toProto(Object o) {
    return binding(o).toProto(o);
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    Binding<?> b = byManifest.get(manifest);
    if (b == null) {
      throw new NotSerializableException("unknown manifest \"" + manifest + "\" (a newer release's message?)");
    }
    if (bytes.length > limits.maxMessageBytes()) {
      throw new NotSerializableException(manifest + ": malformed message (" + bytes.length + " bytes, more than the "
          + limits.maxMessageBytes() + " allowed)");
    }
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    in.setRecursionLimit(WireLimits.MAX_DEPTH);
    in.setSizeLimit(limits.maxMessageBytes());
    try {
      return b.read().read(in);
    } catch (IOException | RuntimeException e) {
      var refused = new NotSerializableException(manifest + ": malformed message (" + e.getMessage() + ")");
      refused.initCause(e);
      throw refused;
    }
  }
}
