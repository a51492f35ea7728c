using System.Threading.Channels;
using Cloudtalk.Common.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cloudtalk.Common.Outbox;

/// <summary>
/// Puts the committed outbox rows of <typeparamref name="TContext"/> on the wire, two ways:
/// <list type="bullet">
/// <item><b>Hand-over.</b> A commit in this process hands its rows to the relay (<see cref="OutboxSignal{TContext}"/>),
/// which publishes them from memory and awaits every broker confirmation; a marker of its own marks the confirmed ones
/// sent, all that were confirmed since its last statement in one. No read of the rows back and no transaction held
/// across the broker's round trip, where a round claimed, marked and committed before.</item>
/// <item><b>Poll.</b> Every <see cref="OutboxOptions.PollInterval"/> it claims unsent rows older than
/// <see cref="OutboxOptions.HandOverGrace"/> with <c>SELECT ... FOR UPDATE SKIP LOCKED</c> (so replicas never publish
/// the same row at once), publishes them and marks the confirmed ones sent in the same transaction: rows left by a
/// crash, by a failed publish, or by a commit whose answer was lost.</item>
/// </list>
/// When the broker or the database fails, the unconfirmed rows stay unsent (the poll takes them up) and the relay
/// retries with a doubling backoff: nothing is dropped and nothing is marked sent without a confirmation. A crash
/// between the confirmation and the mark, or a hand-over slower than the grace, publishes a row twice: delivery is at
/// least once, consumers are idempotent by event id.
/// </summary>
/// <typeparam name="TContext">The context whose model contains the outbox.</typeparam>
public sealed partial class OutboxRelay<TContext>(
    IServiceScopeFactory scopeFactory,
    IEventPublisher publisher,
    OutboxSignal<TContext> signal,
    IOptions<OutboxOptions> options,
    TimeProvider timeProvider,
    ILogger<OutboxRelay<TContext>> logger) : BackgroundService
    where TContext : DbContext
{
    /// <summary>How long marks go on after the service was told to stop.</summary>
    private static readonly TimeSpan MarkDrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The ids of handed-over rows the broker confirmed, waiting to be marked sent.</summary>
    private readonly Channel<List<Guid>> _confirmed = Channel.CreateUnbounded<List<Guid>>(new UnboundedChannelOptions { SingleReader = true });

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Marks go on while the loop stops, for at most MarkDrainTimeout after the stop: what they miss, the poll sends again.
        using var marking = new CancellationTokenSource();
        using var stopping = stoppingToken.Register(() => marking.CancelAfter(MarkDrainTimeout));
        var marker = MarkSentAsync(marking.Token);
        try
        {
            await RelayAsync(stoppingToken);
        }
        finally
        {
            _confirmed.Writer.TryComplete();
            await marker;
        }
    }

    private async Task RelayAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var failures = 0;
        var nextPoll = timeProvider.GetUtcNow();
        var nextPurge = timeProvider.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Drain: a full batch means there may be more.
                List<OutboxMessage> handed;
                do
                {
                    handed = signal.TakeCommitted(settings.BatchSize);
                    if (handed.Count > 0)
                    {
                        await RelayHandedAsync(handed, stoppingToken);
                    }
                }
                while (handed.Count == settings.BatchSize && !stoppingToken.IsCancellationRequested);

                if (timeProvider.GetUtcNow() >= nextPoll)
                {
                    int claimed;
                    do
                    {
                        claimed = await RelayBatchAsync(settings.BatchSize, settings.HandOverGrace, stoppingToken);
                    }
                    while (claimed == settings.BatchSize && !stoppingToken.IsCancellationRequested);

                    nextPoll = timeProvider.GetUtcNow() + settings.PollInterval;
                }

                if (timeProvider.GetUtcNow() >= nextPurge)
                {
                    await PurgeAsync(settings.SentRetention, stoppingToken);
                    nextPurge = timeProvider.GetUtcNow() + settings.PurgeInterval;
                }

                failures = 0;
                await signal.WaitAsync(nextPoll - timeProvider.GetUtcNow(), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                failures++;
                OutboxTelemetry.FailedRounds.Add(1, new KeyValuePair<string, object?>("cloudtalk.context", typeof(TContext).Name));
                var delay = TimeSpan.FromMilliseconds(Math.Min(
                    settings.MaxRetryDelay.TotalMilliseconds,
                    settings.FirstRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 16))));
                LogRoundFailed(logger, exception, typeof(TContext).Name, delay);
                try
                {
                    await Task.Delay(delay, timeProvider, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>One hand-over round: publish the rows; the marker marks the confirmed ones sent.</summary>
    private async Task RelayHandedAsync(List<OutboxMessage> handed, CancellationToken cancellationToken)
    {
        var (confirmed, failure) = await PublishAsync(handed, cancellationToken);
        if (confirmed.Count > 0)
        {
            _confirmed.Writer.TryWrite(confirmed);
            Relayed(confirmed.Count);
        }

        if (failure is not null)
        {
            throw new OutboxPublishException($"Publishing an outbox row of {typeof(TContext).Name} failed; it stays unsent.", failure);
        }
    }

    /// <summary>
    /// Marks the handed-over rows the broker confirmed as sent, everything confirmed since its last statement in one
    /// (its own transaction): the publishing does not wait for it, and under load one statement and one commit cover
    /// many rounds. A mark that fails leaves its rows unsent, and the poll publishes them again (at least once).
    /// </summary>
    private async Task MarkSentAsync(CancellationToken cancellationToken)
    {
        var reader = _confirmed.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                var ids = new List<Guid>();
                while (reader.TryRead(out var confirmed))
                {
                    ids.AddRange(confirmed);
                }

                try
                {
                    await using var scope = scopeFactory.CreateAsyncScope();
                    var context = scope.ServiceProvider.GetRequiredService<TContext>();
                    var sentAt = timeProvider.GetUtcNow();
                    // By primary key only: a "sent_at IS NULL" here makes PostgreSQL walk the unsent-rows index, dead
                    // entries and all.
                    await context.Database.CreateExecutionStrategy().ExecuteAsync(token => context.Set<OutboxMessage>()
                        .Where(message => ids.Contains(message.Id))
                        .ExecuteUpdateAsync(setters => setters.SetProperty(message => message.SentAt, sentAt), token), cancellationToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    OutboxTelemetry.FailedRounds.Add(1, new KeyValuePair<string, object?>("cloudtalk.context", typeof(TContext).Name));
                    LogMarkFailed(logger, exception, ids.Count, typeof(TContext).Name);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped: the rows not marked are sent again by the next poll, here or in another replica.
        }
    }

    /// <summary>One poll round: claim rows older than the grace, publish them, mark the confirmed ones sent, commit.</summary>
    /// <returns>How many rows were claimed.</returns>
    private async Task<int> RelayBatchAsync(int batchSize, TimeSpan grace, CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<TContext>();
        var strategy = context.Database.CreateExecutionStrategy();

        var (claimed, failure) = await strategy.ExecuteAsync(async token =>
        {
            context.ChangeTracker.Clear();
            await using var transaction = await context.Database.BeginTransactionAsync(token);
            var before = timeProvider.GetUtcNow() - grace;
            var batch = await context.Set<OutboxMessage>()
                .FromSqlRaw(
                    $"SELECT * FROM {OutboxMessageConfiguration.TableName} WHERE sent_at IS NULL AND created_at < {{1}} " +
                    "ORDER BY sequence LIMIT {0} FOR UPDATE SKIP LOCKED", batchSize, before)
                .AsNoTracking()
                .ToListAsync(token);

            var (confirmed, publishFailure) = await PublishAsync(batch, token);
            if (confirmed.Count > 0)
            {
                var sentAt = timeProvider.GetUtcNow();
                await context.Set<OutboxMessage>()
                    .Where(message => confirmed.Contains(message.Id))
                    .ExecuteUpdateAsync(setters => setters.SetProperty(message => message.SentAt, sentAt), token);
            }

            await transaction.CommitAsync(token);
            Relayed(confirmed.Count);
            return (batch.Count, publishFailure);
        }, cancellationToken);

        if (failure is not null)
        {
            throw new OutboxPublishException($"Publishing an outbox row of {typeof(TContext).Name} failed; it stays unsent.", failure);
        }

        return claimed;
    }

    /// <summary>
    /// Puts all the rows on the wire at once, then awaits every confirmation: one round trip per batch, not per row.
    /// Consumers do not rely on the order of events (versions and event ids make them order-safe).
    /// </summary>
    /// <returns>The ids the broker confirmed, and the first failure if any row was not confirmed.</returns>
    private async Task<(List<Guid> Confirmed, Exception? Failure)> PublishAsync(List<OutboxMessage> batch, CancellationToken cancellationToken)
    {
        var publishes = batch.Select(message => (message.Id, Publish: publisher.PublishAsync(message.ToOutgoingMessage(), cancellationToken))).ToList();
        var confirmed = new List<Guid>(batch.Count);
        Exception? failure = null;
        foreach (var (id, publish) in publishes)
        {
            try
            {
                await publish;
                confirmed.Add(id);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The row stays unsent and a later poll publishes it again; the confirmed ones are marked.
                failure ??= exception;
            }
        }

        return (confirmed, failure);
    }

    private void Relayed(int count)
    {
        if (count > 0)
        {
            OutboxTelemetry.Relayed.Add(count, new KeyValuePair<string, object?>("cloudtalk.context", typeof(TContext).Name));
            LogRelayed(logger, count, typeof(TContext).Name);
        }
    }

    private async Task PurgeAsync(TimeSpan retention, CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<TContext>();
        var before = timeProvider.GetUtcNow() - retention;
        await context.Set<OutboxMessage>()
            .Where(message => message.SentAt != null && message.SentAt < before)
            .ExecuteDeleteAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Marking {Count} relayed outbox messages of {Context} as sent failed; the poll sends them again.")]
    private static partial void LogMarkFailed(ILogger logger, Exception exception, int count, string context);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Relayed {Count} outbox messages of {Context}.")]
    private static partial void LogRelayed(ILogger logger, int count, string context);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An outbox round of {Context} failed; retrying in {Delay}.")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception, string context, TimeSpan delay);
}

/// <summary>An outbox row could not be published; it stays unsent and the relay retries it.</summary>
public sealed class OutboxPublishException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OutboxPublishException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public OutboxPublishException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The publisher's exception.</param>
    public OutboxPublishException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
