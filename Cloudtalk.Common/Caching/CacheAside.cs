using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Cloudtalk.Common.Caching;

/// <summary>
/// Cache-aside over Redis with versioned scopes: <see cref="WithCache{T}"/> answers from Redis when it can,
/// otherwise from the loader (the database), and <see cref="InvalidateAsync"/> makes every entry of a scope
/// unreachable at once.
/// </summary>
/// <remarks>
/// <para><b>Keys.</b> Every entry belongs to a <see cref="CacheScope"/> with a version counter in Redis, and
/// there is one global epoch counter. An entry lives at <c>{prefix}:{epoch}:{version}:{scope}:{entry}</c>
/// with a time to live. Invalidating a scope increments its version (an INCR, never a scan or delete):
/// the old entries are no longer addressed and expire by themselves.</para>
/// <para><b>Reads.</b> One Lua script returns the epoch, the scope's version and, if present, the entry:
/// one round trip per hit. On a miss the loader runs and its result is stored by a second script that
/// writes only if the epoch and the version are still the ones the read saw. A writer commits to the
/// database first and invalidates afterwards, so a value loaded before a write is either refused by
/// that check or stored under a version nobody reads any more: a racing invalidation is never undone.</para>
/// <para><b>Single flight.</b> Concurrent misses for the same versioned key in one process share one
/// loader call, so they reach the database once. The flight key includes the version, so a read that
/// starts after an invalidation never joins a load that started before it.</para>
/// <para><b>Redis down or slow.</b> Every Redis call is bounded by <see cref="CacheOptions.OperationTimeout"/>.
/// A failure opens a circuit for <see cref="CacheOptions.BreakDuration"/> (Redis is skipped, the loader
/// answers), logs one warning (without connection details) and closes by itself.</para>
/// <para><b>Missed invalidations.</b> An invalidation that cannot reach Redis (failed, or skipped by the open
/// circuit) is remembered. On the next successful contact the global epoch is incremented
/// <i>before</i> anything is read from or written to the cache again, so an entry that went stale during the
/// outage can never resurface. A new process starts in that state too: its first contact bumps the epoch,
/// which covers the invalidations a crashed replica may have missed. Other replicas serve from Redis without
/// knowing of the missed invalidation, so the replica that missed it does not wait for its own next cache call:
/// it retries the bump every <see cref="CacheOptions.BreakDuration"/> until it succeeds. Limitation: until that
/// bump lands (about one break duration after Redis answers again), another replica may still serve an entry the
/// missed invalidation should have dropped; with one replica, or an outage seen by all, this does not arise.</para>
/// <para><b>In-process layer.</b> In front of Redis sits a small in-memory layer (<see cref="NearCache"/>): a hot
/// key is answered without a Redis round trip. Invalidations reach every replica's layer through Redis pub/sub
/// (<see cref="InvalidationBroadcast"/>), published by the same script that bumps the versions, and a writer answers
/// only once every replica that could still serve the old value has acknowledged it or lost its lease: the layer is
/// exact across replicas. It is used only when <see cref="CacheOptions.LocalTimeToLive"/> is above zero, after
/// <see cref="StartAsync"/> subscribed, and while the subscription, its lease and Redis are healthy; its entries live
/// at most <see cref="CacheOptions.LocalTimeToLive"/>. With the layer on, a write whose invalidation failed or was
/// skipped by the open circuit tries again, past the circuit, for up to one lease before it returns (see
/// <c>RetryPublishingAsync</c>).</para>
/// </remarks>
public sealed partial class CacheAside : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // Between attempts to publish an invalidation that did not get out: a Redis that is back is found quickly, one
    // that is down is asked at most a few times a lease when it fails fast.
    private static readonly TimeSpan PublishRetryInterval = TimeSpan.FromMilliseconds(50);

    private readonly IConnectionMultiplexer _redis;
    private readonly CacheOptions _options;
    private readonly ILogger<CacheAside> _logger;
    private readonly RedisCircuit _circuit;
    private readonly ConcurrentDictionary<string, object> _flights = new(StringComparer.Ordinal);
    private readonly RedisKey _epochKey;
    private readonly RedisChannel _invalidations;
    private readonly NearCache _near;
    private readonly InvalidationBroadcast _broadcast;
    private readonly CacheReadCounter _reads;

    // True once SubscribeAsync succeeded (StackExchange.Redis then restores the subscription after reconnects), and
    // true while that subscription is up.
    private volatile bool _subscriptionEstablished;
    private volatile bool _subscribed;

    // Starts at 1: a fresh process assumes it missed invalidations and bumps the epoch on first contact.
    private long _missedInvalidations = 1;

    // Bumped on every invalidation in this process; keys single flights while Redis cannot tell versions.
    private long _localGeneration;

    // 1 while a background retry of the epoch bump is scheduled; the token stops it on dispose.
    private int _retrying;
    private readonly CancellationTokenSource _disposing = new();
    private readonly CancellationToken _stopping;

    /// <summary>Creates the helper over the service's Redis connection.</summary>
    /// <param name="redis">The connection.</param>
    /// <param name="options">The settings.</param>
    /// <param name="logger">Where outages are logged.</param>
    /// <param name="meterFactory">Creates the meter of <c>cloudtalk.cache.reads</c> (the host's, under dependency injection).</param>
    public CacheAside(IConnectionMultiplexer redis, IOptions<CacheOptions> options, ILogger<CacheAside> logger,
        IMeterFactory? meterFactory = null)
    {
        _redis = redis;
        _options = options.Value;
        _logger = logger;
        _circuit = new RedisCircuit(_options.BreakDuration);
        _epochKey = CacheOptions.EpochKey(_options.KeyPrefix);
        _invalidations = RedisChannel.Literal(CacheOptions.InvalidationChannel(_options.KeyPrefix));
        _near = new NearCache(_options);
        _broadcast = new InvalidationBroadcast(redis, _invalidations, _near, _options.LocalLease, pings: _near.IsConfigured);
        _stopping = _disposing.Token;
        _reads = new CacheReadCounter(meterFactory);
    }

    /// <summary>
    /// True while the in-process layer serves: it is configured, subscribed, Redis answers and its lease holds (from
    /// shortly after <see cref="StartAsync"/>).
    /// </summary>
    public bool IsServingInProcess => _near.IsActive;

    /// <summary>
    /// The cached value of <paramref name="entry"/> in <paramref name="scope"/>, or the loader's answer,
    /// which is then cached unless it is null (a null, e.g. "not found", is never cached).
    /// </summary>
    /// <param name="scope">The scope whose invalidation must drop this entry.</param>
    /// <param name="entry">The entry's name within the scope (for example <c>page=1:limit=100</c>).</param>
    /// <param name="load">Reads the value from the source of truth. It runs once per flight, not per caller,
    /// and is not cancelled when one caller gives up.</param>
    /// <param name="cancellationToken">Stops this caller's wait.</param>
    public async Task<T?> WithCache<T>(
        CacheScope scope, string entry, Func<CancellationToken, Task<T?>> load, CancellationToken cancellationToken)
        where T : class
    {
        // Captured before anything is read: an invalidation from here on refuses the in-process store below.
        var stamp = _near.Capture(scope);
        if (_near.TryGet<T>(scope, entry, out var near))
        {
            _reads.AnsweredInProcess();
            return near;
        }

        var suffix = $"{scope.Name}:{entry}";
        var versionKey = VersionKey(scope);
        var lookup = await LookupAsync(versionKey, suffix);
        if (lookup.Value is { } cached && TryDeserialize<T>(cached, out var hit))
        {
            _near.Store(scope, entry, hit!, cached.Length, stamp);
            _reads.AnsweredByRedis();
            return hit;
        }

        var flightKey = lookup.Available
            ? $"{lookup.Epoch}:{lookup.Version}:{suffix}"
            : $"local:{Interlocked.Read(ref _localGeneration)}:{suffix}";

        var flight = (Lazy<Task<T?>>)_flights.GetOrAdd(flightKey, _ => new Lazy<Task<T?>>(async () =>
        {
            var value = await load(CancellationToken.None);
            if (value is not null && lookup.Available)
            {
                var json = JsonSerializer.SerializeToUtf8Bytes(value, Json);
                await StoreAsync(versionKey, suffix, lookup, json);
                // The flight's own stamp: it was taken before this load read the database.
                _near.Store(scope, entry, value, json.Length, stamp);
            }

            return value;
        }));

        // A finished flight leaves the table whoever waited for it (even if every caller gave up).
        _ = flight.Value.ContinueWith(
            _ => _flights.TryRemove(new KeyValuePair<string, object>(flightKey, flight)),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _reads.AnsweredBySource();
        return await flight.Value.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Makes every entry of the given scopes unreachable. Call it after the database transaction committed.
    /// It never throws: if Redis cannot be reached the invalidation is remembered and the whole cache is
    /// retired (epoch bump) as soon as Redis answers again.
    /// </summary>
    public Task InvalidateAsync(params IReadOnlyCollection<CacheScope> scopes) =>
        InvalidateAndReplaceAsync(CacheVersions.Unknown, [], scopes);

    /// <summary>
    /// The versions the given scopes have now. A writer reads them <i>before</i> its database write and passes them
    /// to <see cref="InvalidateAndReplaceAsync"/> after the commit. Never throws: <see cref="CacheVersions.Unknown"/>
    /// if Redis is unavailable.
    /// </summary>
    public async Task<CacheVersions> ReadVersionsAsync(IReadOnlyCollection<CacheScope> scopes)
    {
        if (scopes.Count == 0 || !await EnsureUsableAsync())
        {
            return CacheVersions.Unknown;
        }

        try
        {
            var distinct = scopes.Distinct().ToArray();
            RedisKey[] keys = [_epochKey, .. distinct.Select(VersionKey)];
            // MGET is atomic: the epoch and the versions are of one moment.
            var values = await _redis.GetDatabase().StringGetAsync(keys).WaitAsync(_options.OperationTimeout);
            var versions = new Dictionary<CacheScope, long>(distinct.Length);
            for (var i = 0; i < distinct.Length; i++)
            {
                versions[distinct[i]] = values[i + 1].IsNull ? 0 : (long)values[i + 1];
            }

            return new CacheVersions(values[0].IsNull ? "0" : (string)values[0]!, versions);
        }
        catch (Exception exception)
        {
            Trip(exception);
            return CacheVersions.Unknown;
        }
    }

    /// <summary>
    /// Invalidates the replacements' scopes and <paramref name="alsoInvalidated"/> as <see cref="InvalidateAsync"/>
    /// does, and, in the same atomic step, stores each replacement's value under its scope's new version if that
    /// scope is still at the version (and the cache at the epoch) <paramref name="seen"/> recorded. Call it after the
    /// database transaction committed, with versions read before the transaction began.
    /// </summary>
    /// <remarks>
    /// Why that is exact: a scope still at its seen version means no writer invalidated it between the read and now.
    /// Every writer that invalidated it before the read had committed before the read (writers commit, then
    /// invalidate), so the caller's transaction, which began after the read, saw its change: the value is not older
    /// than any change whose invalidation went before it. A writer that commits after the caller invalidates after the
    /// caller's step too, and retires the stored value as it retires any other. If the version moved, the value may be
    /// older than what another writer committed, and the scope is only invalidated.
    /// <para>A value Redis stored is also kept in this process's layer, under the stamp its scope had right after this
    /// replica applied the invalidation's own echo. Messages on the channel are applied in the order Redis published
    /// them, so any invalidation of the scope after the script comes after the echo. It then refuses the store or drops
    /// the entry, as it would any other.</para>
    /// </remarks>
    /// <param name="seen">The versions read before the write (<see cref="ReadVersionsAsync"/>).</param>
    /// <param name="replacements">The committed values, each exactly what the readers' loader would return now.</param>
    /// <param name="alsoInvalidated">Scopes to invalidate without a replacement.</param>
    public async Task InvalidateAndReplaceAsync(
        CacheVersions seen, IReadOnlyCollection<CacheReplacement> replacements, params IReadOnlyCollection<CacheScope> alsoInvalidated)
    {
        Interlocked.Increment(ref _localGeneration);
        var scopes = replacements.Select(replacement => replacement.Scope).Concat(alsoInvalidated).Distinct().ToList();
        if (scopes.Count == 0)
        {
            return;
        }

        // This process first, synchronously: its own next read never sees the old value.
        _near.Invalidate(scopes);
        if (await EnsureUsableAsync() && await PublishInvalidationAsync(scopes, seen, replacements))
        {
            return;
        }

        if (_near.IsConfigured && await RetryPublishingAsync(scopes, seen, replacements))
        {
            return;
        }

        Interlocked.Increment(ref _missedInvalidations);
        LogMissedInvalidation(_logger, string.Join(", ", scopes));
        RetireMissedInvalidationsInBackground();
    }

    /// <summary>
    /// Bumps the epoch now if this process may have missed invalidations (it always may at startup),
    /// instead of on the first cache call. Never throws; if Redis is unreachable the bump stays pending.
    /// </summary>
    public Task RetireMissedInvalidationsAsync() => EnsureUsableAsync();

    /// <summary>
    /// Retires what this process may have missed (as <see cref="RetireMissedInvalidationsAsync"/>), then subscribes
    /// to the invalidations of other replicas, retrying while Redis is unreachable; from then on the in-process
    /// layer is used. Without this call the helper works on Redis alone.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await RetireMissedInvalidationsAsync();
        if (Interlocked.Read(ref _missedInvalidations) > 0)
        {
            // What a crashed predecessor missed may be served by other replicas: do not wait for the first request.
            RetireMissedInvalidationsInBackground();
        }

        _redis.ConnectionFailed += OnConnectionFailed;
        _redis.ConnectionRestored += OnConnectionRestored;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _broadcast.StartAsync(_options.OperationTimeout, cancellationToken);
                _subscriptionEstablished = true;
                _subscribed = true;
                if (!_circuit.IsOpen && _redis.IsConnected)
                {
                    _near.Listening();
                }

                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                Trip(exception);
                await Task.Delay(_options.BreakDuration, cancellationToken);
            }
        }
    }

    /// <summary>
    /// At a graceful stop: stops serving from process for good, then tells the other replicas that this one left
    /// (see <see cref="InvalidationBroadcast.LeaveAsync"/>), so that their writes stop waiting for it at once
    /// instead of one lease later. The helper goes on working on Redis alone.
    /// </summary>
    public Task LeaveAsync()
    {
        // Before anything is published: a writer elsewhere takes "left" as an acknowledgement of everything.
        _subscriptionEstablished = false;
        _subscribed = false;
        _near.Deaf();
        return _broadcast.LeaveAsync(_options.OperationTimeout);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposing.Cancel();
        _redis.ConnectionFailed -= OnConnectionFailed;
        _redis.ConnectionRestored -= OnConnectionRestored;
        _broadcast.Dispose();
        _near.Dispose();
        _disposing.Dispose();
    }

    /// <summary>
    /// Retries the epoch bump every break duration until no missed invalidation is left (one loop at a time): other
    /// replicas may be serving what the missed invalidation should have dropped, and this process may make no other
    /// cache call for a long time.
    /// </summary>
    private void RetireMissedInvalidationsInBackground()
    {
        if (Interlocked.Exchange(ref _retrying, 1) == 1)
        {
            return;
        }

        var stopping = _stopping;
        _ = Task.Run(async () =>
        {
            try
            {
                while (Interlocked.Read(ref _missedInvalidations) > 0)
                {
                    // The circuit stays open this long after a failure: an earlier attempt would be skipped anyway.
                    await Task.Delay(_options.BreakDuration, stopping);
                    await EnsureUsableAsync();
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            finally
            {
                Volatile.Write(ref _retrying, 0);
            }

            // A miss recorded after the last check, while this loop still held the flag, found it taken.
            if (Interlocked.Read(ref _missedInvalidations) > 0)
            {
                RetireMissedInvalidationsInBackground();
            }
        }, CancellationToken.None);
    }

    /// <summary>
    /// Tries again, past an open circuit, to publish an invalidation that did not get out, for up to one lease; true
    /// once it is published and delivered.
    /// </summary>
    /// <remarks>
    /// Other replicas whose pings still come back keep renewing their leases, so they go on serving the old value from
    /// memory until they hear of the write: without this, one timed-out call (a busy machine is enough) or a circuit
    /// another request opened would let the write answer while they do. If Redis stays out of reach for a whole lease
    /// the attempt is given up: had Redis failed for every replica, every lease has run out by then (a lease ends one
    /// lease after the last ping Redis echoed). A replica that still reaches Redis while this one cannot for that long
    /// is the one case leases cannot cover; the epoch bump that follows, once Redis answers here, retires what it serves.
    /// </remarks>
    private async Task<bool> RetryPublishingAsync(
        IReadOnlyCollection<CacheScope> scopes, CacheVersions seen, IReadOnlyCollection<CacheReplacement> replacements)
    {
        var giveUpAt = Stopwatch.GetTimestamp() + (long)(_options.LocalLease.TotalSeconds * Stopwatch.Frequency);
        do
        {
            await Task.Delay(PublishRetryInterval);
            if (await EnsureUsableAsync(pastOpenCircuit: true) && await PublishInvalidationAsync(scopes, seen, replacements))
            {
                return true;
            }
        }
        while (Stopwatch.GetTimestamp() < giveUpAt);

        return false;
    }

    /// <summary>
    /// Bumps the scopes' versions, stores the replacements that may be stored, and tells every replica; false if Redis
    /// failed. A replacement stored in Redis is also kept in this process's layer.
    /// </summary>
    private async Task<bool> PublishInvalidationAsync(
        IReadOnlyCollection<CacheScope> scopes, CacheVersions seen, IReadOnlyCollection<CacheReplacement> replacements)
    {
        List<(CacheReplacement Replacement, byte[] Json)> replacing;
        InvalidationBroadcast.Delivery? delivery = null;
        int[] stored;
        try
        {
            // The scopes to replace first (one each), with their values as Redis will hold them; then the rest.
            replacing = replacements
                .Where(replacement => seen.TryGetVersion(replacement.Scope, out _))
                .DistinctBy(replacement => replacement.Scope)
                .Select(replacement => (replacement, JsonSerializer.SerializeToUtf8Bytes(replacement.Value, replacement.Value.GetType(), Json)))
                .ToList();
            var replaced = replacing.Select(pair => pair.Replacement.Scope).ToList();
            delivery = _broadcast.Prepare(scopes, replaced);
            RedisKey[] keys =
            [
                _epochKey,
                .. replaced.Select(VersionKey),
                .. scopes.Except(replaced).Select(VersionKey),
            ];
            var ttl = ((long)_options.TimeToLive.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
            var args = new List<RedisValue>(6 + (3 * replacing.Count))
            {
                _invalidations.ToString(), delivery.Value.Message, seen.Epoch ?? "", _options.KeyPrefix, ttl, replacing.Count,
            };
            foreach (var (replacement, json) in replacing)
            {
                seen.TryGetVersion(replacement.Scope, out var version);
                args.Add(version);
                args.Add($"{replacement.Scope.Name}:{replacement.Entry}");
                args.Add(json);
            }

            var result = await _redis.GetDatabase().ScriptEvaluateAsync(CacheScripts.IncrementAllReplaceAndPublish, keys, [.. args])
                .WaitAsync(_options.OperationTimeout);
            stored = (int[])result!;
        }
        catch (Exception exception)
        {
            if (delivery is { } prepared)
            {
                _broadcast.Abandon(prepared);
            }

            Trip(exception);
            return false;
        }

        if (_near.IsConfigured)
        {
            // Replicas of one service share their settings: where this layer is on, it is on everywhere.
            // Then only what Redis stored (the scope had not moved since the writer read its version) is kept here, under
            // the stamp of this invalidation's own echo: anything that invalidates the scope later refuses or drops it.
            if (await _broadcast.AwaitDeliveryAsync(delivery.Value) is { } stampsAtEcho)
            {
                foreach (var (replacement, json) in stored.Select(index => replacing[index]))
                {
                    _near.Store(replacement.Scope, replacement.Entry, replacement.Value, json.Length, stampsAtEcho[replacement.Scope]);
                }
            }
        }
        else
        {
            _broadcast.Abandon(delivery.Value);
        }

        return true;
    }

    // Whatever connection dropped, pub/sub messages may be lost with it: stop trusting the in-process layer.
    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        _subscribed = false;
        _near.Deaf();
    }

    // StackExchange.Redis resubscribes by itself; the layer comes back on the next successful Redis call.
    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) => _subscribed = _subscriptionEstablished;

    private RedisKey VersionKey(CacheScope scope) => $"{_options.KeyPrefix}:version:{scope.Name}";

    private async Task<Lookup> LookupAsync(RedisKey versionKey, string suffix)
    {
        if (!await EnsureUsableAsync())
        {
            return Lookup.Unavailable;
        }

        try
        {
            var result = await _redis.GetDatabase()
                .ScriptEvaluateAsync(CacheScripts.Read, [_epochKey, versionKey], [_options.KeyPrefix, suffix])
                .WaitAsync(_options.OperationTimeout);
            var parts = (RedisResult[])result!;
            return new Lookup(true, (string)parts[0]!, (string)parts[1]!, parts.Length > 2 ? (byte[]?)parts[2] : null);
        }
        catch (Exception exception)
        {
            Trip(exception);
            return Lookup.Unavailable;
        }
    }

    private async Task StoreAsync(RedisKey versionKey, string suffix, Lookup seen, byte[] value)
    {
        if (!await EnsureUsableAsync())
        {
            return;
        }

        try
        {
            var ttl = ((long)_options.TimeToLive.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
            await _redis.GetDatabase()
                .ScriptEvaluateAsync(CacheScripts.StoreIfCurrent, [_epochKey, versionKey],
                    [seen.Epoch, seen.Version, _options.KeyPrefix, suffix, value, ttl])
                .WaitAsync(_options.OperationTimeout);
        }
        catch (Exception exception)
        {
            Trip(exception);
        }
    }

    /// <summary>
    /// False while the circuit is open (unless <paramref name="pastOpenCircuit"/>) or Redis is disconnected. Otherwise
    /// first retires the cache (epoch bump) if invalidations were missed, so nothing stale is ever read after an outage.
    /// </summary>
    private async Task<bool> EnsureUsableAsync(bool pastOpenCircuit = false)
    {
        if (_circuit.IsOpen && !pastOpenCircuit)
        {
            return false;
        }

        if (!_redis.IsConnected)
        {
            Trip(new RedisConnectionException(ConnectionFailureType.UnableToConnect, "not connected"));
            return false;
        }

        var missed = Interlocked.Read(ref _missedInvalidations);
        if (missed == 0)
        {
            ResumeNearCache();
            return true;
        }

        try
        {
            var result = await _redis.GetDatabase()
                .ScriptEvaluateAsync(CacheScripts.IncrementEpochAndPublish, [_epochKey], [_invalidations.ToString()])
                .WaitAsync(_options.OperationTimeout);
            var epoch = (long)result;
            _near.InvalidateAll();
            ResumeNearCache();
            // Only clear what this bump covered: a failure recorded meanwhile keeps the flag set.
            Interlocked.CompareExchange(ref _missedInvalidations, 0, missed);
            LogEpochBumped(_logger, epoch);
            return true;
        }
        catch (Exception exception)
        {
            Trip(exception);
            return false;
        }
    }

    // Redis answered: if the subscription is up, the in-process layer may serve again (it was emptied when it stopped).
    private void ResumeNearCache()
    {
        if (_subscribed && !_near.IsListening)
        {
            _near.Listening();
        }
    }

    private void Trip(Exception exception)
    {
        // Other replicas' invalidations may not be getting through either: the in-process layer stops and forgets.
        _near.Deaf();
        if (_circuit.Trip())
        {
            // The exception's type and message only: StackExchange.Redis never puts the password in them.
            LogRedisUnavailable(_logger, exception.GetType().Name, exception.Message, _options.BreakDuration.TotalSeconds);
        }
    }

    private static bool TryDeserialize<T>(byte[] json, out T? value)
    {
        try
        {
            value = JsonSerializer.Deserialize<T>(json, Json);
            return value is not null;
        }
        catch (JsonException)
        {
            value = default;
            return false;
        }
    }

    // The value as Redis holds it, UTF-8 JSON: read and written as bytes, never as a .NET string (twice the size,
    // and a transcoding each way).
    private readonly record struct Lookup(bool Available, string Epoch, string Version, byte[]? Value)
    {
        public static readonly Lookup Unavailable = new(false, "", "", null);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Redis unavailable ({ErrorType}: {ErrorMessage}); answering from the database, next attempt in {Seconds} s")]
    private static partial void LogRedisUnavailable(ILogger logger, string errorType, string errorMessage, double seconds);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Cache invalidation of {Scopes} could not reach Redis; the cache epoch will be bumped on the next contact")]
    private static partial void LogMissedInvalidation(ILogger logger, string scopes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cache epoch bumped to {Epoch}: entries older than now are retired")]
    private static partial void LogEpochBumped(ILogger logger, long epoch);
}
