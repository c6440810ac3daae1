/** The KvAdmin API the meta-server's scheduler drives replicas with. */
package io.shardkv.kv.admin;
