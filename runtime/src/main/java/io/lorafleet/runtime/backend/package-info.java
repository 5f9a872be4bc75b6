/**
 * The compute boundary. {@link io.lorafleet.runtime.backend.Backend} loads the base model once, uploads
 * adapters into device memory and frees them by index (which adapters stay is the engine's {@code
 * AdapterResidency}'s decision), and runs one {@code forward} over a flattened batch ({@link
 * io.lorafleet.runtime.backend.ForwardBatch}): token ids, positions, per-sequence block tables, and rows
 * grouped into segments by adapter (the SGMV layout). The engine above it never knows which device runs
 * the math; {@code io.lorafleet.runtime.backend.cpu} is the reference implementation.
 */
package io.lorafleet.runtime.backend;
