package org.caretrail.timeline;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * One bound on the native memory of every RocksDB store of the instance (Kafka Streams' "bounded memory"
 * configuration): each store would otherwise take its own 50 MB block cache and up to three 16 MB write buffers,
 * and the timeline has a dozen stores per partition. All stores share one LRU cache of
 * {@code timeline.rocksdb.memory} bytes, which also holds their index and filter blocks and is charged for their
 * write buffers (a third of it at most).
 */
public final class BoundedRocksDbMemory implements RocksDBConfigSetter {

    /** Streams configuration key carrying {@code timeline.rocksdb.memory}. */
    public static final String TOTAL_BYTES_CONFIG = "caretrail.rocksdb.memory.bytes";

    private static final long BLOCK_SIZE = 16 * 1024;
    private static final long WRITE_BUFFER_SIZE = 8 * 1024 * 1024;
    private static final double HIGH_PRIORITY_RATIO = 0.1;

    private static Cache cache;
    private static WriteBufferManager writeBuffers;

    private static synchronized void share(long totalBytes) {
        if (cache == null) {
            cache = new LRUCache(totalBytes, -1, false, HIGH_PRIORITY_RATIO);
            writeBuffers = new WriteBufferManager(totalBytes / 3, cache);
        }
    }

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        Object total = configs.get(TOTAL_BYTES_CONFIG);
        share(total == null ? 256L * 1024 * 1024 : Long.parseLong(total.toString()));
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(cache);
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        table.setBlockSize(BLOCK_SIZE);
        options.setWriteBufferManager(writeBuffers);
        options.setWriteBufferSize(WRITE_BUFFER_SIZE);
        options.setMaxWriteBufferNumber(2);
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(String storeName, Options options) {
        // the cache and the write buffer manager are shared by every store: never closed here
    }
}
