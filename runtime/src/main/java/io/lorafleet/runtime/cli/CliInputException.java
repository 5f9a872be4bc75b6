package io.lorafleet.runtime.cli;

/** A problem with what the user gave the CLI (a file, a line, an option); printed without a stack trace. */
public final class CliInputException extends RuntimeException {
  public CliInputException(String message) {
    super(message);
  }
}
