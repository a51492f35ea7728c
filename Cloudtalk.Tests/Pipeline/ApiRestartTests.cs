using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Messaging;

namespace Cloudtalk.Tests.Pipeline;

/// <summary>
/// The Api crashes after committing a review and its event but before relaying it: once it runs again its relay
/// sends the event, and the product's rating converges.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class ApiRestartTests(CloudtalkAppFixture fixture)
{
    private static readonly TimeSpan ResourceTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task The_relay_sends_what_was_left_unsent_when_the_api_crashed()
    {
        var api = fixture.App.CreateApiClient();
        var database = await ApiDatabase.OpenAsync(fixture.App);
        var commands = fixture.App.App.ResourceCommands;
        var notifications = fixture.App.App.ResourceNotifications;
        var product = (await api.CreateProductAsync("Crash lamp")).Id();
        await api.CreateReviewAsync(product, rating: 2);
        await ServedRatings.WaitForAsync(api, database, product, 1, 2.0);

        try
        {
            // A crash: the Api process is killed (SIGKILL), no graceful shutdown. (Aspire's Stop command times out
            // on the `dotnet run` launcher here, so the service process itself is killed.)
            Assert.True(notifications.TryGetCurrentState("api", out var running));
            var launcher = Convert.ToInt32(running.Snapshot.Properties.Single(property => property.Name == "executable.pid").Value,
                CultureInfo.InvariantCulture);
            foreach (var process in ServiceProcesses(launcher))
            {
                process.Kill(entireProcessTree: true);
                process.Dispose();
            }

            using (var timeout = new CancellationTokenSource(ResourceTimeout))
            {
                await notifications.WaitForResourceAsync("api", KnownResourceStates.TerminalStates, timeout.Token);
            }

            // What the crashed Api had committed: a review and its event, in one transaction, never relayed.
            var eventId = Guid.NewGuid();
            await database.ExecuteAsync(
                """
                WITH review AS (
                    INSERT INTO reviews (product_id, first_name, rating, review_version, created_at, updated_at)
                    VALUES ($1, 'Crash', 4, 1, now(), now()) RETURNING id)
                INSERT INTO outbox_messages (id, type, routing_key, payload, created_at)
                SELECT $2, $3, $3, jsonb_build_object('reviewId', id, 'productId', $1, 'rating', 4, 'reviewVersion', 1), now()
                FROM review
                """,
                product, eventId, EventNames.ReviewCreated);

            using (var timeout = new CancellationTokenSource(ResourceTimeout))
            {
                var started = await commands.ExecuteCommandAsync("api", KnownResourceCommands.StartCommand, timeout.Token);
                Assert.True(started.Success, started.Message);
                await notifications.WaitForResourceHealthyAsync("api", timeout.Token);
            }

            await ServedRatings.WaitForAsync(api, database, product, 2, 3.0);
            await Eventually.WaitAsync(
                () => database.ScalarAsync<bool>("SELECT sent_at IS NOT NULL FROM outbox_messages WHERE id = $1", eventId),
                sent => sent, TestBus.ConvergenceTimeout, () => $"outbox row {eventId} is not marked sent");
        }
        finally
        {
            if (notifications.TryGetCurrentState("api", out var state) &&
                KnownResourceStates.TerminalStates.Contains(state.Snapshot.State?.Text))
            {
                await commands.ExecuteCommandAsync("api", KnownResourceCommands.StartCommand);
            }

            using var timeout = new CancellationTokenSource(ResourceTimeout);
            await notifications.WaitForResourceHealthyAsync("api", timeout.Token);
        }
    }

    /// <summary>
    /// The service's own process: the resource's pid is the launcher (<c>dotnet run</c>) or the service itself.
    /// </summary>
    private static IEnumerable<Process> ServiceProcesses(int launcher)
    {
        var childrenFile = $"/proc/{launcher}/task/{launcher}/children";
        var children = File.Exists(childrenFile)
            ? File.ReadAllText(childrenFile).Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : [];
        return children.Length == 0
            ? [Process.GetProcessById(launcher)]
            : children.Select(child => Process.GetProcessById(int.Parse(child, CultureInfo.InvariantCulture)));
    }
}
