package io.lorafleet.runtime.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafleet.runtime.errors.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** lorafleet-adapter.json: optional, one line of description, bounded, clear errors naming the file. */
class AdapterMetadataTest {
  @TempDir
  Path dir;

  private String problem(String json) throws IOException {
    Files.writeString(dir.resolve(AdapterMetadata.FILE), json);
    return assertThrows(ModelFormatException.class, () -> AdapterMetadata.read(dir)).getMessage();
  }

  @Test
  void readsTaskAndDescription() throws IOException {
    assertTrue(AdapterMetadata.read(dir).isEmpty(), "no file: no metadata");
    Files.writeString(dir.resolve(AdapterMetadata.FILE), "{\"task\": \"uppercase\", \"description\": \" Upper case. \"}");
    assertEquals(new AdapterMetadata("uppercase", "Upper case."), AdapterMetadata.read(dir).orElseThrow());
    Files.writeString(dir.resolve(AdapterMetadata.FILE), "{\"description\": \"Only this.\", \"other\": 1}");
    assertEquals(new AdapterMetadata(null, "Only this."), AdapterMetadata.read(dir).orElseThrow());
  }

  @Test
  void badFilesAreRefusedWithTheProblem() throws IOException {
    assertTrue(problem("{\"task\": \"x\"}").endsWith("description is missing"));
    assertTrue(problem("{\"description\": 3}").contains("\"description\" must be a string"));
    assertTrue(problem("{\"description\": \"two\\nlines\"}").contains("one line of text"));
    assertTrue(problem("{\"description\": \"  \"}").contains("description is empty"));
    assertTrue(problem("{\"description\": \"" + "x".repeat(201) + "\"}").contains("201 characters, more than 200"));
    assertTrue(problem("[1]").contains("expected a JSON object"));
    assertTrue(problem("{\"description\": ").contains("not valid JSON"));
    String big = problem("{\"description\": \"x\", \"pad\": \"" + "y".repeat(5000) + "\"}");
    assertTrue(big.contains(AdapterMetadata.FILE) && big.contains("more than the 4096"), big);
  }

  @Test
  void aSymbolicLinkIsRefused() throws IOException {
    Path target = Files.writeString(dir.resolve("elsewhere.json"), "{\"description\": \"x\"}");
    Files.createSymbolicLink(dir.resolve(AdapterMetadata.FILE), target);
    assertTrue(assertThrows(ModelFormatException.class, () -> AdapterMetadata.read(dir)).getMessage()
        .contains("symbolic links are refused"));
  }
}
