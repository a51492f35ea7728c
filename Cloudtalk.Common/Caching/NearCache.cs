using System.Diagnostics;
using Microsoft.Extensions.Caching.Memory;

namespace Cloudtalk.Common.Caching;

/// <summary>
/// The in-process layer of <see cref="CacheAside"/>: recently read values kept in this process's memory, so that a
/// hot key is answered without a Redis round trip.
/// </summary>
/// <remarks>
/// <para><b>Invalidation.</b> Every invalidation, from this process or another replica (through Redis pub/sub,
/// published in the same script that bumps the Redis versions), bumps a generation counter of the scope's stripe.
/// An entry remembers the generations it was read under and is valid only while they are unchanged, so an
/// invalidation never needs to find the entries it drops.</para>
/// <para><b>Races.</b> The caller captures a <see cref="Stamp"/> <i>before</i> it reads Redis or the database and
/// stores with that stamp; an invalidation that arrives while the read is under way changes the generation and the
/// store is refused. So a value read before an invalidation is never served after it.</para>
/// <para><b>Only under a lease.</b> Entries are served only until the lease that <see cref="InvalidationBroadcast"/>
/// renews each time this replica's own ping comes back through Redis: a replica that stops hearing the channel stops
/// serving within one lease, which is what lets writers on other replicas know when they may answer.</para>
/// <para><b>Only while listening.</b> Entries are served and stored only while the pub/sub subscription is
/// known to be up. When it drops (or Redis fails), the layer is switched off and every entry retired at once:
/// invalidations published meanwhile are lost, and nothing read before can be trusted.</para>
/// <para><b>Bounded.</b> Entries are served at most <see cref="CacheOptions.LocalTimeToLive"/>, and leave memory
/// within one more (MemoryCache scans for expired entries that often, instead of its default minute); together they
/// are at most <see cref="CacheOptions.LocalMaxBytes"/> of UTF-8 JSON. A count alone would not bound the memory: a
/// page of 100 reviews is a hundred times a product. The time to live bounds memory, not staleness: invalidations
/// keep entries exact, and in the failures no connection event reports, such as a frozen Redis, the lease bounds
/// how long an entry may be served.</para>
/// </remarks>
internal sealed class NearCache : IDisposable
{
    // Stripes, not one counter per scope: scopes are unbounded (one per product), the counters must not be.
    private const int StripeCount = 4096;

    private readonly long[] _stripes = new long[StripeCount];
    private readonly MemoryCache? _entries;
    private readonly TimeSpan _timeToLive;

    // Bumped to retire every entry at once (subscription lost, Redis failed, global epoch bumped).
    private long _generation;
    private volatile bool _listening;

    // Stopwatch timestamps: entries are served only before the first (see InvalidationBroadcast); the second is the
    // last time the layer went deaf or started listening: messages published before it may have been missed, so a
    // ping sent before it renews nothing.
    private long _leaseUntil;
    private long _listeningSince;

    public NearCache(CacheOptions options)
    {
        _timeToLive = options.LocalTimeToLive;
        if (_timeToLive > TimeSpan.Zero && options.LocalMaxBytes > 0)
        {
            _entries = new MemoryCache(new MemoryCacheOptions
            {
                SizeLimit = options.LocalMaxBytes,
                ExpirationScanFrequency = _timeToLive,
            });
        }
    }

    /// <summary>True if the layer is configured (a time to live and a size above zero).</summary>
    public bool IsConfigured => _entries is not null;

    /// <summary>True if entries are served: the layer is configured, invalidations are being received, the lease holds.</summary>
    public bool IsActive => _entries is not null && _listening && Stopwatch.GetTimestamp() < Volatile.Read(ref _leaseUntil);

    /// <summary>True between <see cref="Listening"/> and <see cref="Deaf"/>.</summary>
    public bool IsListening => _listening;

    /// <summary>While listening, every message published since this Stopwatch timestamp has been handled.</summary>
    public long ListeningSince => Volatile.Read(ref _listeningSince);

    /// <summary>The generations a value read from now on will be checked against.</summary>
    public Stamp Capture(CacheScope scope)
    {
        var stripe = StripeOf(scope);
        // Order matters: the global generation first, so a retire-all between the two reads is seen.
        var generation = Volatile.Read(ref _generation);
        return new Stamp(stripe, Volatile.Read(ref _stripes[stripe]), generation);
    }

    public bool TryGet<T>(CacheScope scope, string entry, out T? value)
        where T : class
    {
        if (IsActive && _entries!.TryGetValue(Key(scope, entry), out var found) &&
            found is Entry { Value: T typed } stored && IsCurrent(stored.Stamp))
        {
            value = typed;
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>Keeps <paramref name="value"/> if no invalidation of its scope happened since <paramref name="stamp"/>.</summary>
    /// <param name="scope">The value's scope.</param>
    /// <param name="entry">Its entry within the scope.</param>
    /// <param name="value">The value.</param>
    /// <param name="jsonLength">The length of its JSON in UTF-8 bytes, what it counts against <see cref="CacheOptions.LocalMaxBytes"/>.</param>
    /// <param name="stamp">The generations captured before the value was read.</param>
    public void Store(CacheScope scope, string entry, object value, int jsonLength, Stamp stamp)
    {
        if (!IsActive || !IsCurrent(stamp))
        {
            return;
        }

        _entries!.Set(Key(scope, entry), new Entry(value, stamp),
            new MemoryCacheEntryOptions { Size = Math.Max(1, jsonLength), AbsoluteExpirationRelativeToNow = _timeToLive });
    }

    /// <summary>Drops every entry of the scopes (this process's writes, or another replica's via pub/sub).</summary>
    public void Invalidate(IEnumerable<CacheScope> scopes)
    {
        foreach (var scope in scopes)
        {
            Interlocked.Increment(ref _stripes[StripeOf(scope)]);
        }
    }

    /// <summary>Drops every entry.</summary>
    public void InvalidateAll() => Interlocked.Increment(ref _generation);

    /// <summary>
    /// Everything published before this replica's ping (sent at <paramref name="sentAt"/>) was handled: entries may be
    /// served until <paramref name="until"/>.
    /// </summary>
    public void RenewLease(long sentAt, long until)
    {
        if (sentAt < Volatile.Read(ref _listeningSince))
        {
            return;
        }

        // Echoes come in order, but a renewal must never shorten a lease taken from a later ping.
        var current = Volatile.Read(ref _leaseUntil);
        while (until > current)
        {
            var seen = Interlocked.CompareExchange(ref _leaseUntil, until, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Invalidations are received from now on: entries may be kept.</summary>
    public void Listening()
    {
        Volatile.Write(ref _listeningSince, Stopwatch.GetTimestamp());
        InvalidateAll();
        _listening = true;
    }

    /// <summary>Invalidations may be missed: serve nothing, keep nothing, and forget what was kept.</summary>
    public void Deaf()
    {
        _listening = false;
        Volatile.Write(ref _listeningSince, Stopwatch.GetTimestamp());
        Volatile.Write(ref _leaseUntil, 0);
        InvalidateAll();
    }

    public void Dispose() => _entries?.Dispose();

    private bool IsCurrent(Stamp stamp) =>
        Volatile.Read(ref _generation) == stamp.Generation &&
        Volatile.Read(ref _stripes[stamp.Stripe]) == stamp.StripeGeneration;

    private static int StripeOf(CacheScope scope) =>
        (int)((uint)StringComparer.Ordinal.GetHashCode(scope.Name) % StripeCount);

    private static string Key(CacheScope scope, string entry) => scope.Name + "\n" + entry;

    /// <summary>The generations seen before a read: the read's result may be kept only if they still hold.</summary>
    public readonly record struct Stamp(int Stripe, long StripeGeneration, long Generation);

    private sealed record Entry(object Value, Stamp Stamp);
}
