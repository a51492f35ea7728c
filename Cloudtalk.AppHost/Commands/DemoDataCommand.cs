using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Cloudtalk.AppHost.Commands;

/// <summary>
/// The dashboard command "load-demo-data" on the Api: posts <see cref="DemoData"/> through the Api's REST endpoints,
/// so that the data takes the same path as a client's (validation, events, ratings, cache) and is never out of step.
/// Each run adds the data set again; it does not replace what is there.
/// </summary>
public static class DemoDataCommand
{
    public const string Name = "load-demo-data";

    // A few requests at a time: enough to finish in seconds, few enough not to crowd out other work on a small machine.
    private const int Parallelism = 4;

    public static IResourceBuilder<ProjectResource> WithDemoDataCommand(this IResourceBuilder<ProjectResource> api)
    {
        var endpoint = api.GetEndpoint("http");
        return api.WithCommand(Name, "Load demo data", context => LoadAsync(endpoint, context), new CommandOptions
        {
            Description = $"Adds {DemoData.Describe()} through the REST Api.",
            ConfirmationMessage = $"Add {DemoData.Describe()}?",
            IconName = "DatabaseArrowUp",
            UpdateState = CommandState.EnabledWhenHealthy,
        });
    }

    private static async Task<ExecuteCommandResult> LoadAsync(EndpointReference endpoint, ExecuteCommandContext context)
    {
        using var client = ServiceCommandClient.Create(endpoint);
        var cancellationToken = context.CancellationToken;
        try
        {
            // Products one after the other, so that their ids follow the data set's order.
            var productIds = new long[DemoData.Products.Count];
            for (var index = 0; index < productIds.Length; index++)
            {
                var product = DemoData.Products[index];
                using var response = await client.PostAsJsonAsync("/api/products",
                    new { product.Name, product.Description, product.Price }, ServiceCommandClient.Json, cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    return CommandResults.Failure(
                        $"Creating product {index + 1} answered {(int)response.StatusCode}; {index} products were added.");
                }

                productIds[index] = await ReadIdAsync(response, cancellationToken);
            }

            var failures = new ConcurrentQueue<string>();
            await Parallel.ForEachAsync(Enumerable.Range(0, productIds.Length),
                new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
                async (index, token) =>
                {
                    foreach (var review in DemoData.Products[index].Reviews)
                    {
                        using var response = await client.PostAsJsonAsync("/api/reviews", new
                        {
                            productId = productIds[index], review.FirstName, review.LastName, review.ReviewText, review.Rating,
                        }, ServiceCommandClient.Json, token);
                        if (!response.IsSuccessStatusCode)
                        {
                            failures.Enqueue($"a review of product {productIds[index]} answered {(int)response.StatusCode}");
                        }
                    }
                });

            if (!failures.IsEmpty)
            {
                return CommandResults.Failure(
                    $"Added {productIds.Length} products, but {failures.Count} reviews failed ({failures.First()}).");
            }

            context.Logger.LogInformation("Loaded the demo data set: {DataSet}", DemoData.Describe());
            return CommandResults.Success($"Added {DemoData.Describe()}.");
        }
        catch (HttpRequestException exception)
        {
            return CommandResults.Failure($"The Api could not be reached: {exception.Message}");
        }
    }

    private static async Task<long> ReadIdAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken),
            cancellationToken: cancellationToken);
        return body.RootElement.GetProperty("id").GetInt64();
    }
}
