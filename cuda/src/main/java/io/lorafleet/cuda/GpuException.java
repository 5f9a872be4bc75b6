package io.lorafleet.cuda;

/** A device call failed (out of memory, launch failure, lost device); the message names the call and the error. */
final class GpuException extends RuntimeException {
  public GpuException(String message) {
    super(message);
  }
}
