package io.lorafleet.tools.wirebench;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.lorafleet.actors.routing.GenerationService;
import io.lorafleet.actors.routing.RelayEvent;
import io.lorafleet.actors.routing.WireError;
import io.lorafleet.actors.routing.WireParams;
import io.lorafleet.actors.routing.WireResult;
import io.lorafleet.actors.routing.WireToken;
import io.lorafleet.runtime.engine.FinishReason;

/**
 * The previous release's Kryo encoding of the relay messages, as its serializer configured Kryo: registration
 * required, no references, records through Kryo's record serializer, a fresh 256-byte {@link Output} per
 * message. (Its length checks on strings and arrays, a few comparisons per field, are left out: they would
 * only slow Kryo down.) Messages without actor refs only: the relay events.
 */
final class KryoCodec {
  private final Kryo kryo = new Kryo();

  KryoCodec() {
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    int id = 100;
    for (Class<?> c : new Class<?>[] {int[].class, int[][].class, float[].class, float[][].class, double[].class,
        String[].class, FinishReason.class, WireParams.class, WireToken.class, WireResult.class, WireError.class,
        RelayEvent.Started.class, RelayEvent.Refused.class, RelayEvent.Token.class, RelayEvent.Finished.class,
        RelayEvent.Failed.class, GenerationService.Cancel.class}) {
      kryo.register(c, id++);
    }
  }

  byte[] write(Object o) {
    try (Output out = new Output(256, -1)) {
      kryo.writeObject(out, o);
      return out.toBytes();
    }
  }

  <T> T read(byte[] bytes, Class<T> type) {
    try (Input in = new Input(bytes)) {
      return kryo.readObject(in, type);
    }
  }
}
