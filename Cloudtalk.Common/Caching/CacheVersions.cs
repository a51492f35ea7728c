namespace Cloudtalk.Common.Caching;

/// <summary>
/// The versions some scopes had in Redis at one moment (<see cref="CacheAside.ReadVersionsAsync"/>), taken before a
/// database write so that <see cref="CacheAside.InvalidateAndReplaceAsync"/> can store the write's result in their
/// place if nobody else invalidated them in between.
/// </summary>
public sealed class CacheVersions
{
    /// <summary>Nothing known (Redis was unavailable): an invalidation with these replaces nothing.</summary>
    public static readonly CacheVersions Unknown = new(null, new Dictionary<CacheScope, long>());

    private readonly IReadOnlyDictionary<CacheScope, long> _versions;

    internal CacheVersions(string? epoch, IReadOnlyDictionary<CacheScope, long> versions)
    {
        Epoch = epoch;
        _versions = versions;
    }

    /// <summary>The global epoch seen, or null if nothing is known.</summary>
    internal string? Epoch { get; }

    internal bool TryGetVersion(CacheScope scope, out long version) =>
        _versions.TryGetValue(scope, out version) && Epoch is not null;
}
