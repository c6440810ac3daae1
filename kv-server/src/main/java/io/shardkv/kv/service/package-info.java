/** The client KvService: limits, routing to the group leader, typed errors. */
package io.shardkv.kv.service;
