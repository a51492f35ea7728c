namespace Cloudtalk.Common.Messaging;

/// <summary>Settings of the publisher and the consumers (configuration section <c>Messaging</c>).</summary>
public sealed class MessagingOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Messaging";

    /// <summary>
    /// How many unacknowledged messages the broker hands one consumer at a time. Default 256: enough for every
    /// worker to take a full batch while the next ones arrive.
    /// </summary>
    public ushort PrefetchCount { get; set; } = 256;

    /// <summary>
    /// How many batches of one queue a consumer handles at once. Default 4: a batch mostly waits for its database's
    /// round trips and commit, so one at a time leaves the machine idle meanwhile. Handlers stay correct in any order
    /// (idempotent by event id, serialised per product by row locks taken in product order, versions against stale
    /// events).
    /// </summary>
    public ushort ConsumerConcurrency { get; set; } = 4;

    /// <summary>
    /// The most events a worker hands its handler at once (one transaction). A worker never waits to fill a batch:
    /// it takes what has arrived, so a quiet queue is handled one event at a time and a busy one in batches that
    /// cut the commits and round trips per event. Default 64.
    /// </summary>
    public int ConsumerBatchSize { get; set; } = 64;

    /// <summary>How many times a failing handler runs for one delivery before the message is dead-lettered. Default 3.</summary>
    public int MaxHandlingAttempts { get; set; } = 3;

    /// <summary>The wait before the second attempt; each later wait is <see cref="RetryBackoffFactor"/> times longer. Default 100 ms.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The growth of the wait between attempts. Default 4 (100 ms, 400 ms, 1.6 s, ...).</summary>
    public double RetryBackoffFactor { get; set; } = 4;

    /// <summary>
    /// The longest wait between attempts while a handler fails for a transient reason (its database is down):
    /// such failures are retried until they pass or the service stops, never dead-lettered. Default 5 s.
    /// </summary>
    public TimeSpan MaxTransientRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a stopping consumer lets the batches it is handling finish, so that they are acknowledged on their
    /// still-open channel instead of being delivered and handled again. After it, a handler still running is
    /// cancelled and its messages go back to the queue. Default 5 s: a batch takes milliseconds, and DCP kills a
    /// service that has not stopped after about 6 s.
    /// </summary>
    public TimeSpan ConsumerStopGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a publish may wait for the broker's confirmation before it counts as failed. Default 10 s.</summary>
    public TimeSpan PublishConfirmTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The delay before the <paramref name="attempt"/>-th retry (1-based).</summary>
    /// <param name="attempt">Which retry: 1 for the wait after the first failure.</param>
    /// <returns>The delay.</returns>
    public TimeSpan RetryDelay(int attempt) =>
        TimeSpan.FromMilliseconds(FirstRetryDelay.TotalMilliseconds * Math.Pow(RetryBackoffFactor, Math.Max(0, attempt - 1)));
}
