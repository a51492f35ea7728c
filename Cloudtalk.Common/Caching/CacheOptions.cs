namespace Cloudtalk.Common.Caching;

/// <summary>Settings of <see cref="CacheAside"/>, bound from the <c>Caching</c> configuration section.</summary>
public sealed class CacheOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Caching";

    /// <summary>The <see cref="KeyPrefix"/> unless configured otherwise.</summary>
    public const string DefaultKeyPrefix = "cloudtalk";

    /// <summary>Starts every Redis key of this service, so services can share one Redis.</summary>
    public string KeyPrefix { get; set; } = DefaultKeyPrefix;

    /// <summary>How long an entry lives at most; invalidation usually ends it sooner.</summary>
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest a request waits for one Redis call before answering from the database.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>After a failed Redis call, Redis is left alone this long (requests go straight to the database).</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long the in-process layer keeps an entry at most; zero (the default) turns the layer off. Set it alike on
    /// every replica of a service: a writer waits only for the replicas whose layer is on.
    /// </summary>
    public TimeSpan LocalTimeToLive { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How long a replica's in-process layer may serve after its last lease ping came back through Redis, and so the
    /// longest a write waits for a replica that stopped answering (frozen, cut off or gone) before it is forgotten.
    /// </summary>
    public TimeSpan LocalLease { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How much the in-process layer keeps at most, counted as the length of its entries' JSON (the objects in memory
    /// take more, in proportion); zero turns the layer off. Default 4 MiB.
    /// </summary>
    public long LocalMaxBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>The global epoch counter: part of every entry's key.</summary>
    internal static string EpochKey(string keyPrefix) => $"{keyPrefix}:epoch";

    /// <summary>The pub/sub channel on which invalidations reach every replica's in-process layer.</summary>
    internal static string InvalidationChannel(string keyPrefix) => $"{keyPrefix}:invalidations";
}
