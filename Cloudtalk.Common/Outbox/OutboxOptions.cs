namespace Cloudtalk.Common.Outbox;

/// <summary>Settings of the outbox relay (configuration section <c>Outbox</c>).</summary>
public sealed class OutboxOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Outbox";

    /// <summary>
    /// How often the relay looks for unsent rows without being woken: rows left by a crash or by another replica.
    /// A commit in this process wakes it at once. Default 1 s.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many rows one relay claims per transaction. Default 100.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>The first wait after a failed round (broker or database down); doubles up to <see cref="MaxRetryDelay"/>. Default 250 ms.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The longest wait between failed rounds. Default 1 s: a failed round costs one query or one refused publish,
    /// while this wait is also how late the events may go out once the broker or the database is back.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long sent rows are kept before they are purged. Default 1 hour.</summary>
    public TimeSpan SentRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often sent rows older than <see cref="SentRetention"/> are purged. Default 1 minute.</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromMinutes(1);
}
