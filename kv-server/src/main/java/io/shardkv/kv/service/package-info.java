/** The client KvService: request validation, reads and writes on the group's replica. */
package io.shardkv.kv.service;
