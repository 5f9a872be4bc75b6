package io.lorafleet.actors.protocol;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.util.function.Function;

/**
 * One cross-node type: its manifest (short, stable, never a class name), how it becomes its Protobuf message
 * and how it is read back.
 */
record Binding<T>(String manifest, Class<T> type, Function<T, MessageLite> write, Reader<T> read) {
  interface Reader<T> {
    T read(CodedInputStream in) throws IOException;
  }

  static <T> Binding<T> of(String manifest, Class<T> type, Function<T, MessageLite> write, Reader<T> read) {
    return new Binding<>(manifest, type, write, read);
  }

  MessageLite toProto(Object o) {
    return write.apply(type.cast(o));
  }
}
