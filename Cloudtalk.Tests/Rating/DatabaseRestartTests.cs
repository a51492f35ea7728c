using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Messaging;
using Npgsql;

namespace Cloudtalk.Tests.Rating;

/// <summary>
/// PostgreSQL goes away (fast shutdown) while review events keep arriving: Rating's consumer treats the failures
/// as transient, keeps the messages and applies them once the database is back; none is dead-lettered.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class DatabaseRestartTests(CloudtalkAppFixture fixture) : IAsyncLifetime
{
    private const string Database = "postgres";
    private TestBus _bus = null!;

    public async Task InitializeAsync() => _bus = await TestBus.StartAsync(fixture.App);

    public async Task DisposeAsync()
    {
        await _bus.DisposeAsync();
        // The restart ended every connection this test process's Npgsql pools hold, and a pooled connection is not
        // checked when it is handed out: the next test of the collection would get one and fail with 57P01.
        NpgsqlConnection.ClearAllPools();
    }

    [Fact]
    public async Task Events_that_arrive_while_the_database_is_down_are_applied_after_it_returns()
    {
        var product = TestIds.Next();
        await _bus.PublishAsync(new ReviewCreated(TestIds.Next(), product, 2, 1));
        await _bus.WaitForRatingAsync(product, 1, 2.0);

        var faults = new SystemFaults(fixture.App);
        try
        {
            // SIGINT: PostgreSQL's fast shutdown (SIGTERM would wait for the services' pooled connections).
            await faults.InterruptAsync(Database);

            var during = new[]
            {
                await _bus.PublishAsync(new ReviewCreated(TestIds.Next(), product, 5, 1)),
                await _bus.PublishAsync(new ReviewCreated(TestIds.Next(), product, 5, 1)),
            };

            // Let the consumer fail against the missing database for a while before it comes back.
            await Task.Delay(TimeSpan.FromSeconds(3));
            await faults.StartAsync(Database);

            await _bus.WaitForRatingAsync(product, 3, 4.0);
            var deadLetters = await _bus.MessageIdsOnQueueAsync(
                MessagingTopology.DeadLetterQueueOf(MessagingTopology.RatingReviewEventsQueue));
            Assert.DoesNotContain(deadLetters, id => during.Select(guid => guid.ToString()).Contains(id));
        }
        finally
        {
            await faults.EnsureRunningAsync(Database);
            await faults.EnsureRunningAsync("rating");
        }
    }
}
