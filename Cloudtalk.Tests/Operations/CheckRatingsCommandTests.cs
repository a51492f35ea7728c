using Cloudtalk.AppHost.Commands;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Operations;

/// <summary>The dashboard command check-ratings reports what the reconciliation endpoint reports.</summary>
[Collection(CloudtalkCollection.Name)]
public sealed class CheckRatingsCommandTests(CloudtalkAppFixture fixture)
{
    private readonly HttpClient _client = fixture.App.CreateOperationsClient();

    [Fact]
    public async Task The_command_fails_exactly_when_the_reconciliation_reports_mismatches()
    {
        // A known mismatch, so that the failure path is taken whatever the rest of the shared system holds.
        var product = (await _client.CreateProductAsync("served wrong")).Id();
        await _client.CreateReviewAsync(product, 5);
        await fixture.App.SetServedRatingAsync(product, 1.0, 2);

        var (checkedProducts, mismatches) = await _client.CheckAsync();
        var result = await fixture.App.App.ResourceCommands.ExecuteCommandAsync("api", CheckRatingsCommand.Name);
        await _client.DeleteProductsAsync(product);

        Assert.False(result.Success);
        // Other products' ratings may still be settling, so the count may differ; this product's mismatch stays.
        Assert.Contains(product, mismatches.Keys);
        Assert.Contains($" of {checkedProducts} products", result.Message, StringComparison.Ordinal);
        Assert.Contains("differs from their reviews", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_command_agrees_with_the_reconciliation_on_the_shared_system()
    {
        // Where the rating pipeline is still settling, the answer can change between two reads: retry until
        // the endpoint gives the same answer before and after the command.
        for (var attempt = 1; ; attempt++)
        {
            var (_, before) = await _client.CheckAsync();
            var result = await fixture.App.App.ResourceCommands.ExecuteCommandAsync("api", CheckRatingsCommand.Name);
            var (checkedProducts, after) = await _client.CheckAsync();
            if (before.Keys.Order().SequenceEqual(after.Keys.Order()))
            {
                Assert.Equal(after.Count == 0, result.Success);
                var message = result.Message;
                Assert.Contains(
                    result.Success ? $"All {checkedProducts} products exact" : $"{after.Count} of {checkedProducts} products",
                    message, StringComparison.Ordinal);
                return;
            }

            Assert.True(attempt < 10, "The reconciliation never gave the same answer twice in a row.");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }
}
