using System.Collections.Concurrent;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace Cloudtalk.Tests.Messaging;

/// <summary>
/// <see cref="EventConsumer"/> in this process against the real broker, on a queue of the test's own that
/// dead-letters like the contract's queues, with handlers that fail on purpose.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class EventConsumerTests(CloudtalkAppFixture fixture) : IAsyncLifetime
{
    private readonly string _queue = "test.consumer." + Guid.NewGuid().ToString("N")[..12];
    private IConnection _connection = null!;
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        _connection = await TestBus.ConnectAsync(fixture.App);
        await using (var channel = await _connection.CreateChannelAsync())
        {
            await MessagingTopology.DeclareAsync(channel);
            var deadLetterQueue = MessagingTopology.DeadLetterQueueOf(_queue);
            await channel.QueueDeclareAsync(deadLetterQueue, durable: false, exclusive: false, autoDelete: false);
            await channel.QueueBindAsync(deadLetterQueue, MessagingTopology.DeadLetterExchange, _queue);
            await channel.QueueDeclareAsync(_queue, durable: false, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?>
            {
                [Headers.XDeadLetterExchange] = MessagingTopology.DeadLetterExchange,
                [Headers.XDeadLetterRoutingKey] = _queue,
            });
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(_connection);
        builder.Services.AddSingleton<HandlerScript>();
        builder.Services.Configure<MessagingOptions>(options =>
        {
            options.MaxHandlingAttempts = 3;
            options.FirstRetryDelay = TimeSpan.FromMilliseconds(20);
            options.MaxTransientRetryDelay = TimeSpan.FromMilliseconds(100);
            // One worker: the batch test holds it on purpose while the next messages queue up behind it.
            options.ConsumerConcurrency = 1;
            // Far longer than the stop test needs to open its gate, even on a starved machine.
            options.ConsumerStopGracePeriod = TimeSpan.FromSeconds(5);
        });
        builder.Services.AddEventConsumer<ScriptedHandler>(_queue).Accept<ReviewCreated>();
        _host = builder.Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await using (var channel = await _connection.CreateChannelAsync())
        {
            await channel.QueueDeleteAsync(_queue);
            await channel.QueueDeleteAsync(MessagingTopology.DeadLetterQueueOf(_queue));
        }

        await _connection.CloseAsync();
        await _connection.DisposeAsync();
    }

    [Fact]
    public async Task A_handler_that_keeps_failing_is_retried_then_dead_lettered_and_the_next_message_is_handled()
    {
        var script = _host.Services.GetRequiredService<HandlerScript>();
        var failing = new ReviewCreated(1, 1, 1, 1);
        script.Failures[failing.ReviewId] = (int.MaxValue, () => new InvalidOperationException("always"));
        var healthy = new ReviewCreated(2, 1, 1, 1);

        var failingId = await PublishAsync(failing);
        await PublishAsync(healthy);

        await Eventually.WaitAsync(() => Task.FromResult(script.Handled.ContainsKey(healthy.ReviewId)), handled => handled,
            TestBus.ConvergenceTimeout, () => "the message after the failing one was not handled");
        Assert.Equal(failingId, await TakeDeadLetterAsync());
        Assert.Equal(3, script.Attempts[failing.ReviewId]);
        Assert.False(script.Handled.ContainsKey(failing.ReviewId));
        Assert.Equal(1, script.Handled[healthy.ReviewId]);
    }

    [Fact]
    public async Task A_transient_failure_is_retried_past_the_attempt_limit_and_never_dead_lettered()
    {
        var script = _host.Services.GetRequiredService<HandlerScript>();
        var flaky = new ReviewCreated(3, 1, 1, 1);
        script.Failures[flaky.ReviewId] = (6, () => new TimeoutException("database restarting"));

        await PublishAsync(flaky);

        await Eventually.WaitAsync(() => Task.FromResult(script.Handled.ContainsKey(flaky.ReviewId)), handled => handled,
            TestBus.ConvergenceTimeout, () => "the flaky message was not handled");
        Assert.Equal(7, script.Attempts[flaky.ReviewId]);
        Assert.Null(await PeekDeadLetterAsync());
    }

    [Fact]
    public async Task An_unprocessable_event_is_dead_lettered_without_retries()
    {
        var script = _host.Services.GetRequiredService<HandlerScript>();
        var hopeless = new ReviewCreated(4, 1, 1, 1);
        script.Failures[hopeless.ReviewId] = (int.MaxValue, () => new UnprocessableEventException("unknown product"));

        var id = await PublishAsync(hopeless);

        Assert.Equal(id, await TakeDeadLetterAsync());
        Assert.Equal(1, script.Attempts[hopeless.ReviewId]);
    }

    [Fact]
    public async Task A_batch_with_a_bad_event_is_split_so_the_others_are_handled_once_and_only_the_bad_one_is_dead_lettered()
    {
        var script = _host.Services.GetRequiredService<HandlerScript>();
        var healthy = Enumerable.Range(11, 5).Select(id => new ReviewCreated(id, 1, 1, 1)).ToArray();
        var hopeless = new ReviewCreated(16, 1, 1, 1);
        script.Failures[hopeless.ReviewId] = (int.MaxValue, () => new UnprocessableEventException("unknown product"));

        var hopelessId = await QueueOneBatchAsync(script, gateReviewId: 10, healthy, hopeless);

        Assert.Equal(hopelessId, await TakeDeadLetterAsync());
        await Eventually.WaitAsync(() => Task.FromResult(healthy.All(@event => script.Handled.ContainsKey(@event.ReviewId))),
            handled => handled, TestBus.ConvergenceTimeout, () => "a healthy message of the split batch was not handled");
        Assert.Equal(6, script.LargestBatch);
        Assert.All(healthy, @event => Assert.Equal(1, script.Handled[@event.ReviewId]));
        Assert.Equal(1, script.Attempts[hopeless.ReviewId]);
        Assert.False(script.Handled.ContainsKey(hopeless.ReviewId));
    }

    [Fact]
    public async Task A_batch_whose_handler_names_its_unprocessable_events_is_not_split_and_only_those_are_dead_lettered()
    {
        var script = _host.Services.GetRequiredService<HandlerScript>();
        var healthy = Enumerable.Range(21, 5).Select(id => new ReviewCreated(id, 1, 1, 1)).ToArray();
        var hopeless = new ReviewCreated(26, 1, 1, 1);
        script.Named[hopeless.ReviewId] = true;

        var hopelessId = await QueueOneBatchAsync(script, gateReviewId: 20, healthy, hopeless);

        Assert.Equal(hopelessId, await TakeDeadLetterAsync());
        await Eventually.WaitAsync(() => Task.FromResult(healthy.All(@event => script.Handled.ContainsKey(@event.ReviewId))),
            handled => handled, TestBus.ConvergenceTimeout, () => "a healthy message of the batch was not handled");
        Assert.Equal(6, script.LargestBatch);
        // Handled in the batch and acknowledged: never handled again on its own, as a split would.
        Assert.All(healthy, @event => Assert.Equal(1, script.Handled[@event.ReviewId]));
        Assert.All(healthy, @event => Assert.False(script.Attempts.ContainsKey(@event.ReviewId)));
        Assert.False(script.Attempts.ContainsKey(hopeless.ReviewId));
        Assert.False(script.Handled.ContainsKey(hopeless.ReviewId));
        Assert.Null(await PeekDeadLetterAsync());
    }

    [Fact]
    public async Task A_batch_in_hand_when_the_service_stops_is_finished_and_acknowledged_and_what_waited_goes_back_to_the_queue()
    {
        var script = _host.Services.GetRequiredService<HandlerScript>();
        var inHand = new ReviewCreated(30, 1, 1, 1);
        var waiting = Enumerable.Range(31, 3).Select(id => new ReviewCreated(id, 1, 1, 1)).ToArray();
        await HoldTheWorkerWhileOthersArriveAsync(script, inHand, waiting);

        var stopping = _host.StopAsync();
        // Well inside the grace period: a consumer that cancels its handler at once has done so by now.
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.False(stopping.IsCompleted, "the consumer stopped without waiting for the batch in hand");
        script.Gates[inHand.ReviewId].SetResult();
        await stopping.WaitAsync(TestBus.ConvergenceTimeout);

        Assert.True(script.Handled.TryGetValue(inHand.ReviewId, out var handled), "the batch in hand was not finished");
        Assert.Equal(1, handled);
        // Acknowledged before its channel closed, so only the three that waited are back in the queue, unhandled.
        await Eventually.WaitAsync(ReadyMessagesAsync, ready => ready == 3, TestBus.ConvergenceTimeout,
            () => "the queue does not hold exactly the three messages that waited");
        Assert.All(waiting, @event => Assert.False(script.Handled.ContainsKey(@event.ReviewId)));
        Assert.Null(await PeekDeadLetterAsync());
    }

    [Fact]
    public async Task A_handler_still_running_when_the_stop_grace_period_ends_is_cancelled_and_its_message_goes_back_to_the_queue()
    {
        var script = _host.Services.GetRequiredService<HandlerScript>();
        var stuck = new ReviewCreated(40, 1, 1, 1);
        var waiting = new[] { new ReviewCreated(41, 1, 1, 1) };
        await HoldTheWorkerWhileOthersArriveAsync(script, stuck, waiting);

        // Its gate never opens: only the end of the grace period lets the stop finish.
        await _host.StopAsync().WaitAsync(TestBus.ConvergenceTimeout);

        Assert.False(script.Handled.ContainsKey(stuck.ReviewId));
        await Eventually.WaitAsync(ReadyMessagesAsync, ready => ready == 2, TestBus.ConvergenceTimeout,
            () => "the cancelled message and the one that waited are not both back in the queue");
        Assert.Null(await PeekDeadLetterAsync());
    }

    /// <summary>
    /// Holds the only worker at a gate on <paramref name="held"/> until the broker has handed the consumer the
    /// <paramref name="waiting"/> events too, which then wait behind it. Returns their message ids, in order.
    /// </summary>
    private async Task<string[]> HoldTheWorkerWhileOthersArriveAsync(HandlerScript script, ReviewCreated held, ReviewCreated[] waiting)
    {
        script.Gates[held.ReviewId] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await PublishAsync(held);
        await Eventually.WaitAsync(() => Task.FromResult(script.Attempts.ContainsKey(held.ReviewId)), started => started,
            TestBus.ConvergenceTimeout, () => "the held message was not picked up");
        var ids = new string[waiting.Length];
        for (var i = 0; i < waiting.Length; i++)
        {
            ids[i] = await PublishAsync(waiting[i]);
        }

        await Eventually.WaitAsync(ReadyMessagesAsync, ready => ready == 0, TestBus.ConvergenceTimeout,
            () => "the broker did not hand the messages to the consumer");
        return ids;
    }

    /// <summary>
    /// Holds the only worker at a gate while the healthy events, with the hopeless one among them, reach the consumer
    /// and queue up behind it; then opens the gate, so they are its next batch. Returns the hopeless one's message id.
    /// </summary>
    private async Task<string> QueueOneBatchAsync(HandlerScript script, long gateReviewId, ReviewCreated[] healthy, ReviewCreated hopeless)
    {
        var gate = new ReviewCreated(gateReviewId, 1, 1, 1);
        var ids = await HoldTheWorkerWhileOthersArriveAsync(script, gate, [.. healthy.Take(2), hopeless, .. healthy.Skip(2)]);
        script.Gates[gate.ReviewId].SetResult();
        return ids[2];
    }

    private async Task<uint> ReadyMessagesAsync()
    {
        await using var channel = await _connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(_queue)).MessageCount;
    }

    private async Task<string> PublishAsync(ReviewCreated @event)
    {
        var id = Guid.NewGuid().ToString();
        await using var channel = await _connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = "application/json",
            MessageId = id,
            Type = ReviewCreated.EventName,
        };
        await channel.BasicPublishAsync(string.Empty, _queue, mandatory: true, properties, EventJson.Serialize(@event));
        return id;
    }

    private async Task<string?> TakeDeadLetterAsync()
    {
        await using var channel = await _connection.CreateChannelAsync();
        var result = await Eventually.WaitAsync(
            () => channel.BasicGetAsync(MessagingTopology.DeadLetterQueueOf(_queue), autoAck: true),
            message => message is not null, TestBus.ConvergenceTimeout, () => "nothing was dead-lettered");
        return result!.BasicProperties.MessageId;
    }

    private async Task<BasicGetResult?> PeekDeadLetterAsync()
    {
        await using var channel = await _connection.CreateChannelAsync();
        return await channel.BasicGetAsync(MessagingTopology.DeadLetterQueueOf(_queue), autoAck: true);
    }

    /// <summary>What each review's handler should do: fail how many times, with what, or wait at a gate.</summary>
    public sealed class HandlerScript
    {
        private int _largestBatch;

        public ConcurrentDictionary<long, (int Times, Func<Exception> Failure)> Failures { get; } = new();

        public ConcurrentDictionary<long, TaskCompletionSource> Gates { get; } = new();

        /// <summary>Reviews the handler names as unprocessable after handling the rest of their batch.</summary>
        public ConcurrentDictionary<long, bool> Named { get; } = new();

        /// <summary>Attempts of each review on its own (not counting the batch it came in, if it was split).</summary>
        public ConcurrentDictionary<long, int> Attempts { get; } = new();

        /// <summary>How many times each review was handled (committed).</summary>
        public ConcurrentDictionary<long, int> Handled { get; } = new();

        public int LargestBatch => _largestBatch;

        public void SawBatch(int size)
        {
            int largest;
            do
            {
                largest = _largestBatch;
            }
            while (size > largest && Interlocked.CompareExchange(ref _largestBatch, size, largest) != largest);
        }
    }

    /// <summary>
    /// All or nothing, like a transaction: one scripted failure fails the whole batch. Except the named reviews: the
    /// others of their batch are handled, then those are named in an <see cref="UnprocessableEventException"/>.
    /// </summary>
    public sealed class ScriptedHandler(HandlerScript script) : IIntegrationEventBatchHandler
    {
        public async Task HandleAsync(IReadOnlyList<IncomingEvent> batch, CancellationToken cancellationToken)
        {
            script.SawBatch(batch.Count);
            var named = batch.Where(incoming => script.Named.ContainsKey(((ReviewCreated)incoming.Event).ReviewId)).ToList();
            if (named.Count > 0)
            {
                if (batch.Count == 1)
                {
                    script.Attempts.AddOrUpdate(((ReviewCreated)batch[0].Event).ReviewId, 1, (_, previous) => previous + 1);
                }

                foreach (var incoming in batch.Except(named))
                {
                    script.Handled.AddOrUpdate(((ReviewCreated)incoming.Event).ReviewId, 1, (_, previous) => previous + 1);
                }

                throw new UnprocessableEventException("unknown product", named.Select(incoming => incoming.Metadata.EventId).ToArray());
            }

            var events = batch.Select(incoming => (ReviewCreated)incoming.Event).ToList();
            foreach (var @event in events)
            {
                var attempt = batch.Count == 1
                    ? script.Attempts.AddOrUpdate(@event.ReviewId, 1, (_, previous) => previous + 1)
                    : script.Attempts.GetValueOrDefault(@event.ReviewId);
                if (script.Gates.TryGetValue(@event.ReviewId, out var gate))
                {
                    await gate.Task.WaitAsync(cancellationToken);
                }

                if (script.Failures.TryGetValue(@event.ReviewId, out var failure) && (batch.Count > 1 || attempt <= failure.Times))
                {
                    throw failure.Failure();
                }
            }

            foreach (var @event in events)
            {
                script.Handled.AddOrUpdate(@event.ReviewId, 1, (_, previous) => previous + 1);
            }
        }
    }
}
