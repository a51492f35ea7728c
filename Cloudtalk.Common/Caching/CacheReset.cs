using StackExchange.Redis;

namespace Cloudtalk.Common.Caching;

/// <summary>
/// Empties the cache for an operator (the AppHost's reset-databases command), in a way the running replicas of
/// <see cref="CacheAside"/> cannot be fooled by: see <see cref="CacheScripts.FlushAndRetireEverything"/>.
/// </summary>
public static class CacheReset
{
    /// <summary>
    /// Deletes every key of <paramref name="database"/> (it must hold nothing but this cache), moves the epoch to a
    /// value never used before and tells every replica to drop its in-process entries. Returns the new epoch once
    /// every replica has dropped them or stopped serving from memory: one lease after the flush, a replica that has
    /// not handled the message yet has lost its lease (see <see cref="InvalidationBroadcast"/>).
    /// </summary>
    /// <param name="database">The cache's Redis database.</param>
    /// <param name="keyPrefix">The replicas' <see cref="CacheOptions.KeyPrefix"/>.</param>
    /// <param name="lease">The replicas' <see cref="CacheOptions.LocalLease"/> (default: its default).</param>
    /// <param name="cancellationToken">Cancels the wait (the flush itself is one atomic script).</param>
    public static async Task<long> FlushAndRetireEverythingAsync(IDatabase database,
        string keyPrefix = CacheOptions.DefaultKeyPrefix, TimeSpan? lease = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        var result = await database.ScriptEvaluateAsync(CacheScripts.FlushAndRetireEverything,
            [CacheOptions.EpochKey(keyPrefix)], [CacheOptions.InvalidationChannel(keyPrefix)]);
        await Task.Delay(lease ?? new CacheOptions().LocalLease, cancellationToken);
        return (long)result;
    }
}
