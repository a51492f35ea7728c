namespace Cloudtalk.Common.Caching;

/// <summary>
/// The Lua scripts of <see cref="CacheAside"/>. Each runs atomically in Redis, which is what makes the
/// versioned keys safe: a version cannot change between reading it and using it.
/// KEYS[1] is the epoch key, KEYS[2] the scope's version key; entry keys are built inside the scripts
/// (a single Redis node is assumed, not a cluster).
/// </summary>
internal static class CacheScripts
{
    /// <summary>ARGV: prefix, suffix. Returns { epoch, version } on a miss, { epoch, version, value } on a hit.</summary>
    public const string Read = """
        local epoch = redis.call('GET', KEYS[1]) or '0'
        local version = redis.call('GET', KEYS[2]) or '0'
        local value = redis.call('GET', ARGV[1] .. ':' .. epoch .. ':' .. version .. ':' .. ARGV[2])
        if value then
          return { epoch, version, value }
        end
        return { epoch, version }
        """;

    /// <summary>
    /// ARGV: epoch and version seen by the read, prefix, suffix, value, time to live in ms.
    /// Writes only if neither counter moved since the read, so a value read from the database before an
    /// invalidation can never be stored after it. Returns 1 when stored.
    /// </summary>
    public const string StoreIfCurrent = """
        local epoch = redis.call('GET', KEYS[1]) or '0'
        local version = redis.call('GET', KEYS[2]) or '0'
        if epoch ~= ARGV[1] or version ~= ARGV[2] then
          return 0
        end
        redis.call('SET', ARGV[3] .. ':' .. epoch .. ':' .. version .. ':' .. ARGV[4], ARGV[5], 'PX', ARGV[6])
        return 1
        """;

    /// <summary>The pub/sub message that retires every in-process entry (the epoch moved).</summary>
    public const string EverythingMessage = "*";

    /// <summary>
    /// Invalidates scopes and replaces entries, in one round trip. KEYS[1] is the epoch key, the rest scope version
    /// keys: every one is incremented, and for the first ARGV[6] of them the entry is stored under the new version if the
    /// scope was at the version the writer saw before its write and the epoch is the one it saw (ARGV[3]); see
    /// <c>CacheAside.InvalidateAndReplaceAsync</c> for why that is exact. Then the invalidation message (ARGV[2], see
    /// <see cref="InvalidationBroadcast"/>) is published on the invalidation channel (ARGV[1]). ARGV[4] is the key
    /// prefix, ARGV[5] the time to live in ms, and from ARGV[7] on come triples of (seen version, suffix, value).
    /// Returns the positions (from 0) of the replacements stored.
    /// </summary>
    public const string IncrementAllReplaceAndPublish = """
        local epoch = redis.call('GET', KEYS[1]) or '0'
        local replacing = tonumber(ARGV[6])
        local stored = {}
        for i = 2, #KEYS do
          local version = redis.call('INCR', KEYS[i])
          local at = 7 + (i - 2) * 3
          if i - 1 <= replacing and epoch == ARGV[3] and version - 1 == tonumber(ARGV[at]) then
            redis.call('SET', ARGV[4] .. ':' .. epoch .. ':' .. version .. ':' .. ARGV[at + 1], ARGV[at + 2], 'PX', ARGV[5])
            stored[#stored + 1] = i - 2
          end
        end
        redis.call('PUBLISH', ARGV[1], ARGV[2])
        return stored
        """;

    /// <summary>Increments the epoch (KEYS[1]) and tells every replica (channel ARGV[1]) to drop its in-process entries.</summary>
    public const string IncrementEpochAndPublish = """
        local epoch = redis.call('INCR', KEYS[1])
        redis.call('PUBLISH', ARGV[1], '*')
        return epoch
        """;

    /// <summary>
    /// Empties the database (FLUSHDB), then sets the epoch (KEYS[1]) to a value it never had before, the larger of
    /// its old value + 1 and Redis's clock in ms, and tells every replica (channel ARGV[1]) to drop its in-process
    /// entries; atomically. FLUSHDB alone is not enough: it resets the epoch and the versions to values already
    /// used, so a load that read the database before the flush could still store its old answer after it, and no
    /// replica's in-process layer would hear of it. Returns the new epoch.
    /// </summary>
    public const string FlushAndRetireEverything = """
        local old = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
        redis.call('FLUSHDB')
        local now = redis.call('TIME')
        local epoch = math.max(old + 1, tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000))
        redis.call('SET', KEYS[1], string.format('%d', epoch))
        redis.call('PUBLISH', ARGV[1], '*')
        return epoch
        """;
}
