/**
 * Multi-node tests: fleets of real node JVMs started from JUnit on 127.0.0.1 (free ports picked at run
 * time), driven over HTTP like clients would, with every output checked against the fixture reference.
 */
package io.lorafleet.multinode;
