/** The kv-server process: settings and main. */
package io.shardkv.kv;
