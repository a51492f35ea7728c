using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Pipeline;

namespace Cloudtalk.Tests.Operations;

/// <summary>
/// The dashboard's Stop and Start on the .NET services: DCP's SIGTERM reaches the service through the
/// <c>dotnet run</c> wrapper, the service shuts down gracefully within DCP's wait, and it starts again.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class StopCommandTests(CloudtalkAppFixture fixture)
{
    [Theory]
    [InlineData("rating")]
    [InlineData("api")]
    public async Task A_stopped_service_exits_cleanly_and_starts_again(string service)
    {
        var faults = new SystemFaults(fixture.App);
        try
        {
            // Fails with DCP's "timed out waiting for process to stop" if the shutdown outlasts its wait.
            await faults.StopAsync(service);
            Assert.Equal(0, faults.ExitCodeOf(service));

            await faults.StartAsync(service);
        }
        finally
        {
            await faults.EnsureRunningAsync(service);
        }

        // Both services working again: a review's rating goes through Rating and back to the Api.
        using var api = fixture.App.CreateApiClient();
        var database = await ApiDatabase.OpenAsync(fixture.App);
        var product = (await api.CreateProductAsync($"after {service} stopped")).Id();
        await api.CreateReviewAsync(product, 3);
        await ServedRatings.WaitForAsync(api, database, product, 1, 3);
    }
}
