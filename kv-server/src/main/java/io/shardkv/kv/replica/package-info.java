/**
 * The replicas this kv-server hosts: their life cycle (open, create, destroy, collect the ones
 * it no longer belongs to) and finding the replica a request is for.
 */
package io.shardkv.kv.replica;
