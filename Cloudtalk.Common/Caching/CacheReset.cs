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
    /// value never used before and tells every replica to drop its in-process entries. Returns the new epoch.
    /// </summary>
    public static async Task<long> FlushAndRetireEverythingAsync(
        IDatabase database, string keyPrefix = CacheOptions.DefaultKeyPrefix)
    {
        var result = await database.ScriptEvaluateAsync(CacheScripts.FlushAndRetireEverything,
            [CacheOptions.EpochKey(keyPrefix)], [CacheOptions.InvalidationChannel(keyPrefix)]);
        return (long)result;
    }
}
