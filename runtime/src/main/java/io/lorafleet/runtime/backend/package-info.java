/**
 * The compute boundary. {@link io.lorafleet.runtime.backend.Backend} loads the base model once, holds
 * adapters in slots and runs one {@code forward} over a flattened batch ({@link
 * io.lorafleet.runtime.backend.ForwardBatch}): token ids, positions, per-sequence block tables, and rows
 * grouped into segments by adapter slot (the SGMV layout). The engine above it never knows which device
 * runs the math; {@code io.lorafleet.runtime.backend.cpu} is the reference implementation.
 */
package io.lorafleet.runtime.backend;
