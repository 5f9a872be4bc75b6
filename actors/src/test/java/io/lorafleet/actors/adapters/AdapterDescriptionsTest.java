package io.lorafleet.actors.adapters;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Descriptions for the adapter listing: read from local metadata files; bad or missing ones never break it. */
class AdapterDescriptionsTest {
  @TempDir
  Path dir;

  private String local(String name, String metadata) throws IOException {
    Path d = Files.createDirectories(dir.resolve(name));
    if (metadata != null) {
      Files.writeString(d.resolve("lorafleet-adapter.json"), metadata);
    }
    return "file:" + d;
  }

  @Test
  void onlyGoodLocalMetadataGivesADescription() throws IOException {
    Map<String, RegisteredAdapter> adapters = new LinkedHashMap<>();
    adapters.put("good", new RegisteredAdapter(local("good", "{\"description\": \"Does a thing.\"}"), false));
    adapters.put("none", new RegisteredAdapter(local("none", null), false));
    adapters.put("bad", new RegisteredAdapter(local("bad", "{\"description\": "), false));
    adapters.put("huge", new RegisteredAdapter(local("huge", "{\"description\": \"" + "x".repeat(9000) + "\"}"), true));
    adapters.put("remote", new RegisteredAdapter("https://example.org/lora/a", false));
    adapters.put("gone", new RegisteredAdapter("file:" + dir.resolve("missing"), false));
    AdapterDescriptions descriptions = new AdapterDescriptions();
    assertEquals(Map.of("good", "Does a thing."), descriptions.of(adapters));
    assertEquals(Map.of("good", "Does a thing."), descriptions.of(adapters), "the same when remembered");
  }
}
