using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
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
    private static readonly TimeSpan ResourceTimeout = TimeSpan.FromMinutes(2);
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

        var notifications = fixture.App.App.ResourceNotifications;
        try
        {
            // SIGINT: PostgreSQL's fast shutdown (SIGTERM would wait for the services' pooled connections).
            Assert.True(notifications.TryGetCurrentState(Database, out var running));
            var pid = running.Snapshot.Properties.Single(property => property.Name == "executable.pid").Value;
            using (var kill = Process.Start("kill", ["-INT", Convert.ToString(pid, CultureInfo.InvariantCulture)!]))
            {
                await kill.WaitForExitAsync();
                Assert.Equal(0, kill.ExitCode);
            }

            using (var timeout = new CancellationTokenSource(ResourceTimeout))
            {
                await notifications.WaitForResourceAsync(Database, KnownResourceStates.TerminalStates, timeout.Token);
            }

            var during = new[]
            {
                await _bus.PublishAsync(new ReviewCreated(TestIds.Next(), product, 5, 1)),
                await _bus.PublishAsync(new ReviewCreated(TestIds.Next(), product, 5, 1)),
            };

            // Let the consumer fail against the missing database for a while before it comes back.
            await Task.Delay(TimeSpan.FromSeconds(3));
            await StartDatabaseAsync();

            await _bus.WaitForRatingAsync(product, 3, 4.0);
            var deadLetters = await _bus.MessageIdsOnQueueAsync(
                MessagingTopology.DeadLetterQueueOf(MessagingTopology.RatingReviewEventsQueue));
            Assert.DoesNotContain(deadLetters, id => during.Select(guid => guid.ToString()).Contains(id));
        }
        finally
        {
            if (notifications.TryGetCurrentState(Database, out var state) &&
                KnownResourceStates.TerminalStates.Contains(state.Snapshot.State?.Text))
            {
                await StartDatabaseAsync();
            }

            using var timeout = new CancellationTokenSource(ResourceTimeout);
            await notifications.WaitForResourceHealthyAsync("rating", timeout.Token);
        }
    }

    private async Task StartDatabaseAsync()
    {
        using var timeout = new CancellationTokenSource(ResourceTimeout);
        // PID 1 here reaps orphans slowly: a start right after the exit may meet the old lock file; try again.
        await Eventually.WaitAsync(async () =>
        {
            var result = await fixture.App.App.ResourceCommands.ExecuteCommandAsync(Database, KnownResourceCommands.StartCommand, timeout.Token);
            return result.Success;
        }, started => started, ResourceTimeout, () => "PostgreSQL did not start again");
        await fixture.App.App.ResourceNotifications.WaitForResourceHealthyAsync(Database, timeout.Token);
    }
}
