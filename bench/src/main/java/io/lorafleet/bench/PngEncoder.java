package io.lorafleet.bench;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * Writes a {@link Canvas} as a PNG file (8-bit truecolour, no interlace, every row with filter type 0,
 * one zlib-compressed IDAT chunk), with nothing but java.base: the bundled JRE has no java.desktop.
 */
final class PngEncoder {
  private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  private PngEncoder() {}

  static byte[] encode(Canvas c) throws IOException {
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    png.write(SIGNATURE);
    ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
    DataOutputStream h = new DataOutputStream(ihdr);
    h.writeInt(c.width());
    h.writeInt(c.height());
    h.writeByte(8); // bit depth
    h.writeByte(2); // colour type: truecolour
    h.writeByte(0); // compression: deflate
    h.writeByte(0); // filter method
    h.writeByte(0); // no interlace
    chunk(png, "IHDR", ihdr.toByteArray());
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
    try (DeflaterOutputStream z = new DeflaterOutputStream(raw, deflater)) {
      for (int y = 0; y < c.height(); y++) {
        z.write(0); // filter: none
        z.write(c.rgbRow(y));
      }
    } finally {
      deflater.end();
    }
    chunk(png, "IDAT", raw.toByteArray());
    chunk(png, "IEND", new byte[0]);
    return png.toByteArray();
  }

  static void write(Canvas c, Path file) throws IOException {
    Path abs = file.toAbsolutePath();
    if (abs.getParent() != null) {
      Files.createDirectories(abs.getParent());
    }
    Files.write(abs, encode(c));
  }

  private static void chunk(OutputStream out, String type, byte[] data) throws IOException {
    DataOutputStream d = new DataOutputStream(out);
    byte[] t = type.getBytes(StandardCharsets.US_ASCII);
    d.writeInt(data.length);
    d.write(t);
    d.write(data);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    d.writeInt((int) crc.getValue());
    d.flush();
  }
}
