package io.lorafleet.tools.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lorafleet.runtime.tokenizer.HfTokenizer;
import io.lorafleet.runtime.tokenizer.TokenBytes;
import io.lorafleet.runtime.tokenizer.TokenBytesTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The synthetic checkpoints' word-level tokenizer, as the constrained decoder sees its tokens' bytes. */
class SyntheticTokenizerTest {
  @TempDir
  Path tmp;

  @Test
  void spaceJoinedWordLevel() throws Exception {
    SyntheticTokenizer.write(tmp, 300, 512);
    try (HfTokenizer tok = HfTokenizer.load(tmp)) {
      TokenBytes tb = tok.tokenBytes();
      assertEquals(TokenBytes.Scheme.SPACE_JOINED, tb.scheme());
      assertArrayEquals(" t7".getBytes(StandardCharsets.UTF_8), tb.bytes(7));
      assertArrayEquals("t7".getBytes(StandardCharsets.UTF_8), tb.firstBytes(7));
      TokenBytesTest.assertDecoderModel(tok, 200, 2);
    }
  }
}
