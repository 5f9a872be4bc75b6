package io.lorafleet.actors.http;

import io.lorafleet.runtime.errors.LoraFleetException;

/**
 * The client's connection closed before its generation ended; the generation was cancelled. Nobody reads
 * the answer (status 408 only for the request metrics).
 */
final class ClientGoneException extends LoraFleetException {
  ClientGoneException() {
    super("the client closed the connection; the generation was cancelled");
  }

  @Override
  public String errorType() {
    return "client_gone";
  }
}
