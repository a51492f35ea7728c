using System.Text.Json;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Messaging;

namespace Cloudtalk.Tests.Rating;

/// <summary>
/// Rating crashes with an event committed but not sent, and a review event arrives while it is down: once it
/// starts again its relay sends the first and its consumer applies the second.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class ServiceRestartTests(CloudtalkAppFixture fixture) : IAsyncLifetime
{
    private TestBus _bus = null!;

    public async Task InitializeAsync() => _bus = await TestBus.StartAsync(fixture.App);

    public async Task DisposeAsync() => await _bus.DisposeAsync();

    [Fact]
    public async Task The_relay_sends_what_was_left_unsent_when_the_service_crashed()
    {
        var database = await RatingDatabase.OpenAsync(fixture.App);
        var faults = new SystemFaults(fixture.App);
        try
        {
            // A crash: the Rating process is killed (SIGKILL), no graceful shutdown.
            await faults.KillAsync("rating");

            // Committed by Rating just before it went away, never published.
            var product = TestIds.Next();
            var eventId = Guid.NewGuid();
            await database.ExecuteAsync(
                "INSERT INTO outbox_messages (id, type, routing_key, payload, created_at) VALUES ($1, $2, $2, $3::jsonb, now())",
                eventId, EventNames.RatingUpdated, JsonSerializer.Serialize(new RatingUpdated(product, 4.25, 4, 9), EventJson.Options));

            // A review event that arrives while no Rating instance runs waits in the durable queue.
            var waiting = TestIds.Next();
            await _bus.PublishAsync(new ReviewCreated(TestIds.Next(), waiting, 1, 1));

            await faults.StartAsync("rating");

            await _bus.WaitForRatingAsync(waiting, 1, 1.0);
            var delivered = await _bus.WaitForRatingAsync(product, 4, 4.25);
            Assert.Equal(9, delivered.Version);
            Assert.Equal(eventId.ToString(), _bus.ReceivedFor(product)[0].MessageId);
            await Eventually.WaitAsync(
                () => database.ScalarAsync<bool>("SELECT sent_at IS NOT NULL FROM outbox_messages WHERE id = $1", eventId),
                sent => sent, TestBus.ConvergenceTimeout, () => $"outbox row {eventId} is not marked sent");
        }
        finally
        {
            await faults.EnsureRunningAsync("rating");
        }
    }
}
