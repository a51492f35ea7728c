using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace Cloudtalk.Common.Caching;

/// <summary>
/// Carries invalidations between the replicas' in-process layers (<see cref="NearCache"/>) over one Redis pub/sub
/// channel, acknowledged, with leases: when a writer's <see cref="AwaitDeliveryAsync"/> returns, no replica serves an
/// in-process entry from before that invalidation. This is what lets the layer run on every replica of a scaled-out Api
/// and still never answer a read that starts after a write with the old value.
/// </summary>
/// <remarks>
/// <para><b>Messages</b> (one channel, so every replica handles them in the order Redis published them):
/// <c>i {writer} {n}</c> followed by the scope names, one per line, is an invalidation, which every other replica
/// applies and then acknowledges with <c>a {replica} {writer} {n}</c>; <c>p {replica} {n}</c> is a lease ping;
/// <c>l {replica}</c> says a replica is leaving (a graceful stop) and serves nothing from process any more;
/// <c>*</c> retires every entry (epoch bump, reset). A message in no known form is applied as scope names, as
/// earlier versions sent them.</para>
/// <para><b>Leases.</b> Every replica publishes a ping each quarter lease and notes when it sent it. When the ping
/// comes back, everything published before it has been handled (same channel, handled in order), so the replica
/// may serve in-process entries until one lease after it <i>sent</i> that ping. A replica that hears nothing (a
/// frozen Redis, a dropped subscription, a paused process) stops serving within one lease.</para>
/// <para><b>Writers.</b> After its invalidation is published, a writer waits for the invalidation's own echo. The
/// replicas whose pings it heard within one lease before that echo are the only ones that can hold a lease from
/// before the invalidation (a ping published after it renews a lease only once the invalidation was handled). It
/// waits for each one's acknowledgement, or until one lease after it last heard that replica, whichever comes
/// first: that replica's lease has then run out. So a healthy system waits one round trip, and a frozen or vanished
/// replica delays writes by at most one lease, until it is forgotten; one that stops gracefully says so, and delays
/// nothing. Without its echo (its own subscription is
/// down) a writer cannot know who listens and waits one lease.</para>
/// <para>Durations only are compared across processes (a lease is measured on the clock of the replica that holds
/// it, a wait on the writer's), never clock readings, so the replicas' clocks need not agree.</para>
/// </remarks>
internal sealed class InvalidationBroadcast : IDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisChannel _channel;
    private readonly NearCache _near;
    private readonly TimeSpan _lease;
    private readonly long _leaseTicks;
    private readonly bool _pingsEnabled;
    private readonly string _replica = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<long, PendingInvalidation> _pending = new();
    private readonly ConcurrentDictionary<long, long> _pingsSentAt = new();
    private readonly ConcurrentDictionary<string, long> _lastHeard = new(StringComparer.Ordinal);
    private Task<ChannelMessageQueue>? _subscribing;
    private ChannelMessageQueue? _subscription;
    private ITimer? _pings;
    private long _lastInvalidation;
    private long _lastPing;

    /// <param name="redis">The connection.</param>
    /// <param name="channel">The channel every replica of the service listens on.</param>
    /// <param name="near">This replica's in-process layer.</param>
    /// <param name="lease">How long a ping's echo lets this replica serve, and the longest a writer waits.</param>
    /// <param name="pings">False where the layer is off: such a replica serves nothing, so no writer needs to wait for it.</param>
    public InvalidationBroadcast(IConnectionMultiplexer redis, RedisChannel channel, NearCache near, TimeSpan lease, bool pings)
    {
        _pingsEnabled = pings;
        _redis = redis;
        _channel = channel;
        _near = near;
        _lease = lease;
        _leaseTicks = (long)(lease.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>
    /// Subscribes and starts the pings. An attempt still pending when <paramref name="timeout"/> ran out is awaited
    /// again by the next call, never doubled; one that failed is replaced by a new one.
    /// </summary>
    public async Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _subscribing ??= _redis.GetSubscriber().SubscribeAsync(_channel);
        try
        {
            _subscription = await _subscribing.WaitAsync(timeout, cancellationToken);
        }
        catch (Exception) when (_subscribing.IsFaulted || _subscribing.IsCanceled)
        {
            // Asked of the attempt, not of the exception: StackExchange.Redis's own RedisTimeoutException is a
            // TimeoutException too, and a failed attempt kept here would fail every later call the same way.
            _subscribing = null;
            throw;
        }

        _subscription.OnMessage(Handle);
        if (_pingsEnabled)
        {
            _pings = TimeProvider.System.CreateTimer(_ => Ping(), null, TimeSpan.Zero, _lease / 4);
        }
    }

    /// <summary>The message that invalidates <paramref name="scopes"/>; registers the wait for its delivery.</summary>
    /// <param name="scopes">The scopes to invalidate.</param>
    /// <param name="stampedAtEcho">Those of them whose stamps the echo is to capture (see <see cref="AwaitDeliveryAsync"/>).</param>
    public Delivery Prepare(IEnumerable<CacheScope> scopes, IReadOnlyCollection<CacheScope> stampedAtEcho)
    {
        var sequence = Interlocked.Increment(ref _lastInvalidation);
        _pending[sequence] = new PendingInvalidation(stampedAtEcho);
        var message = string.Create(CultureInfo.InvariantCulture, $"i {_replica} {sequence}\n") +
            string.Join('\n', scopes.Select(scope => scope.Name));
        return new Delivery(sequence, message);
    }

    /// <summary>The invalidation was not published: nobody will answer it.</summary>
    public void Abandon(Delivery delivery) => _pending.TryRemove(delivery.Sequence, out _);

    /// <summary>
    /// Returns once every replica that may hold a lease from before the (published) invalidation has applied it, or
    /// that lease has run out.
    /// </summary>
    /// <returns>
    /// The stamps of the scopes <see cref="Prepare"/> named, as this replica's layer stood right after it applied the
    /// invalidation's own echo, before any later message; null without an echo or without such scopes. A value the invalidating script stored in Redis may be kept in
    /// process under them: whatever invalidates the scope after the script reaches this replica after the echo, and
    /// refuses or drops it.
    /// </returns>
    public async Task<IReadOnlyDictionary<CacheScope, NearCache.Stamp>?> AwaitDeliveryAsync(Delivery delivery)
    {
        var published = Stopwatch.GetTimestamp();
        var pending = _pending[delivery.Sequence];
        try
        {
            if (_subscription is null || !_near.IsListening || !await CompletesWithinAsync(pending.Echoed.Task, _lease))
            {
                // No echo: who listens is unknown, so every lease from before the invalidation must run out.
                await WaitUntilAsync(published + _leaseTicks);
                return null;
            }

            if (!await CompletesWithinAsync(pending.Acknowledged.Task, Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), pending.WaitUntil)))
            {
                await WaitUntilAsync(pending.WaitUntil);
            }

            // Pings published before this replica (re)subscribed were not heard: a lease taken from one of them runs
            // out at most one lease after that.
            await WaitUntilAsync(_near.ListeningSince + _leaseTicks);
            return pending.StampsAtEcho;
        }
        finally
        {
            _pending.TryRemove(delivery.Sequence, out _);
        }
    }

    /// <summary>
    /// Tells the other replicas that this one is leaving: the pings stop, then <c>l {replica}</c> is published and the
    /// subscription ends. The caller has already stopped serving from process, so a writer elsewhere may take the
    /// message as this replica's acknowledgement of everything: without it, every write in the lease after this
    /// replica's last ping would wait for acknowledgements that never come.
    /// </summary>
    public async Task LeaveAsync(TimeSpan timeout)
    {
        if (_pings is { } pings)
        {
            // Waits for a ping being published: "left" must be this replica's last word on the channel, or a late
            // ping would make the others wait for it again.
            await pings.DisposeAsync();
            _pings = null;
        }

        if (_subscription is not { } subscription)
        {
            return;
        }

        try
        {
            await _redis.GetSubscriber().PublishAsync(_channel, $"l {_replica}").WaitAsync(timeout);
            await subscription.UnsubscribeAsync().WaitAsync(timeout);
            _subscription = null;
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Not told: the others wait out this replica's lease, as for one that vanished.
        }
    }

    public void Dispose()
    {
        _pings?.Dispose();
        try
        {
            _subscription?.Unsubscribe(CommandFlags.FireAndForget);
        }
        catch (Exception exception) when (exception is ObjectDisposedException or RedisException)
        {
            // In a host, LeaveAsync has unsubscribed already, before disposal. Left for a leave that failed and for a
            // helper without a host: the connection's OpenTelemetry instrumentation may be disposed first, and SE.Redis
            // then throws from its profiler hook (unhandled, this ended the Api with 134 at every SIGTERM); a
            // connection that is down cannot unsubscribe either. Either way the subscription goes with the connection.
        }
    }

    private void Handle(ChannelMessage message)
    {
        var text = (string?)message.Message ?? "";
        if (text == CacheScripts.EverythingMessage)
        {
            _near.InvalidateAll();
            return;
        }

        var lines = text.Split('\n');
        var header = lines[0].Split(' ');
        switch (header)
        {
            case ["i", var writer, var number] when long.TryParse(number, CultureInfo.InvariantCulture, out var sequence):
                _near.Invalidate(lines.Skip(1).Select(name => new CacheScope(name)));
                if (writer == _replica)
                {
                    OnOwnEcho(sequence);
                }
                else
                {
                    // After applying it: the writer takes this as "this replica no longer serves the old value".
                    _redis.GetSubscriber().Publish(_channel, $"a {_replica} {writer} {number}", CommandFlags.FireAndForget);
                }

                return;
            case ["a", var replica, var writer, var number] when long.TryParse(number, CultureInfo.InvariantCulture, out var sequence):
                if (writer == _replica && _pending.TryGetValue(sequence, out var pending))
                {
                    pending.OnAcknowledged(replica);
                }

                return;
            case ["l", var replica]:
                // It serves nothing from process any more: no write needs to wait for its acknowledgement.
                _lastHeard.TryRemove(replica, out _);
                foreach (var invalidation in _pending.Values)
                {
                    invalidation.OnAcknowledged(replica);
                }

                return;
            case ["p", var replica, var number] when long.TryParse(number, CultureInfo.InvariantCulture, out var ping):
                _lastHeard[replica] = Stopwatch.GetTimestamp();
                if (replica == _replica)
                {
                    OnOwnPing(ping);
                }

                return;
            default:
                _near.Invalidate(lines.Select(name => new CacheScope(name)));
                return;
        }
    }

    private void OnOwnEcho(long sequence)
    {
        if (!_pending.TryGetValue(sequence, out var pending))
        {
            return;
        }

        // Who may still hold a lease from before the invalidation: every replica heard within one lease.
        var now = Stopwatch.GetTimestamp();
        var awaited = _lastHeard
            .Where(heard => heard.Key != _replica && heard.Value + _leaseTicks > now)
            .ToDictionary(heard => heard.Key, heard => heard.Value + _leaseTicks, StringComparer.Ordinal);
        // Here, in the order of the channel's messages: after this invalidation, before anything published later.
        var stamps = pending.StampedAtEcho.Count == 0 ? null : pending.StampedAtEcho.ToDictionary(scope => scope, _near.Capture);
        pending.OnEchoed(awaited, stamps);
    }

    private void OnOwnPing(long ping)
    {
        if (_pingsSentAt.TryRemove(ping, out var sentAt))
        {
            _near.RenewLease(sentAt, sentAt + _leaseTicks);
        }
    }

    private void Ping()
    {
        var now = Stopwatch.GetTimestamp();
        // Pings whose echo never came and replicas not heard for a lease can renew or delay nothing any more.
        foreach (var old in _pingsSentAt.Where(sent => sent.Value + _leaseTicks < now))
        {
            _pingsSentAt.TryRemove(old);
        }

        foreach (var old in _lastHeard.Where(heard => heard.Value + _leaseTicks < now))
        {
            _lastHeard.TryRemove(old);
        }

        var ping = Interlocked.Increment(ref _lastPing);
        _pingsSentAt[ping] = now;
        try
        {
            _redis.GetSubscriber().Publish(_channel, $"p {_replica} {ping}", CommandFlags.FireAndForget);
        }
        catch (Exception exception) when (exception is RedisException or ObjectDisposedException)
        {
            // Not connected, or the connection's instrumentation already disposed at host shutdown (this runs on a
            // timer: an exception here would end the process): no echo, so no renewal; the lease runs out, which is
            // the point.
        }
    }

    private static async Task WaitUntilAsync(long timestamp)
    {
        // A timer may fire a little early (whole milliseconds, coarse ticks): a lease is over only when the clock says so.
        TimeSpan remaining;
        while ((remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp)) > TimeSpan.Zero)
        {
            await Task.Delay(remaining + TimeSpan.FromMilliseconds(1));
        }
    }

    // WaitAsync, not Task.Delay: its timer goes away as soon as the task completes (one write, one short-lived timer).
    private static async Task<bool> CompletesWithinAsync(Task task, TimeSpan timeout)
    {
        if (task.IsCompleted || timeout <= TimeSpan.Zero)
        {
            return task.IsCompleted;
        }

        try
        {
            await task.WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>One published invalidation, identified by its sequence number in this process.</summary>
    internal readonly record struct Delivery(long Sequence, string Message);

    private sealed class PendingInvalidation(IReadOnlyCollection<CacheScope> stampedAtEcho)
    {
        private readonly Lock _lock = new();
        private readonly HashSet<string> _early = new(StringComparer.Ordinal);
        private Dictionary<string, long>? _awaited;

        public TaskCompletionSource Echoed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Acknowledged { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>When every awaited lease has run out, acknowledged or not (a Stopwatch timestamp).</summary>
        public long WaitUntil { get; private set; }

        /// <summary>The scopes whose stamps the echo captures (none for a plain invalidation).</summary>
        public IReadOnlyCollection<CacheScope> StampedAtEcho { get; } = stampedAtEcho;

        /// <summary>Their stamps right after the echo was applied (see <see cref="AwaitDeliveryAsync"/>).</summary>
        public IReadOnlyDictionary<CacheScope, NearCache.Stamp>? StampsAtEcho { get; private set; }

        public void OnEchoed(Dictionary<string, long> awaited, IReadOnlyDictionary<CacheScope, NearCache.Stamp>? stamps)
        {
            StampsAtEcho = stamps;
            lock (_lock)
            {
                foreach (var replica in _early)
                {
                    awaited.Remove(replica);
                }

                _awaited = awaited;
                WaitUntil = awaited.Count == 0 ? 0 : awaited.Values.Max();
                if (awaited.Count == 0)
                {
                    Acknowledged.TrySetResult();
                }
            }

            Echoed.TrySetResult();
        }

        public void OnAcknowledged(string replica)
        {
            lock (_lock)
            {
                if (_awaited is null)
                {
                    // Cannot happen with ordered delivery (an answer follows the echo), but costs nothing to honour.
                    _early.Add(replica);
                }
                else if (_awaited.Remove(replica) && _awaited.Count == 0)
                {
                    Acknowledged.TrySetResult();
                }
            }
        }
    }
}
