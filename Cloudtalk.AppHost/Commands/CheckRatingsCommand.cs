using System.Globalization;
using System.Text.Json;

namespace Cloudtalk.AppHost.Commands;

/// <summary>
/// The dashboard command "check-ratings" on the Api: runs the Api's rating reconciliation
/// (<c>GET /api/operations/rating-reconciliation</c>) and turns its answer into success or failure.
/// </summary>
public static class CheckRatingsCommand
{
    public const string Name = "check-ratings";

    public const string Path = "/api/operations/rating-reconciliation";

    public static IResourceBuilder<ProjectResource> WithCheckRatingsCommand(this IResourceBuilder<ProjectResource> api,
        IResourceBuilder<ParameterResource> operationsKey)
    {
        var endpoint = api.GetEndpoint("http");
        return api.WithCommand(Name, "Check ratings", context => CheckAsync(endpoint, operationsKey.Resource, context), new CommandOptions
        {
            Description = "Compares every product's served rating with the mean and count of its reviews in PostgreSQL.",
            IconName = "CheckmarkStarburst",
            UpdateState = CommandState.EnabledWhenHealthy,
        });
    }

    private static async Task<ExecuteCommandResult> CheckAsync(EndpointReference endpoint, ParameterResource operationsKey,
        ExecuteCommandContext context)
    {
        using var client = await ServiceCommandClient.CreateAsync(endpoint, operationsKey, context.CancellationToken);
        try
        {
            using var response = await client.GetAsync(Path, context.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(context.CancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return CommandResults.Failure($"The reconciliation answered {(int)response.StatusCode}.");
            }

            using var report = JsonDocument.Parse(body);
            var checkedProducts = report.RootElement.GetProperty("checkedProducts").GetInt32();
            var mismatches = report.RootElement.GetProperty("mismatches").GetArrayLength();
            return mismatches == 0
                ? CommandResults.Success(string.Create(CultureInfo.InvariantCulture, $"All {checkedProducts} products exact."))
                // The report itself goes along, so the dashboard shows which products differ.
                : CommandResults.Failure(
                    string.Create(CultureInfo.InvariantCulture,
                        $"{mismatches} of {checkedProducts} products serve a rating that differs from their reviews."),
                    body, CommandResultFormat.Json);
        }
        catch (HttpRequestException exception)
        {
            return CommandResults.Failure($"The Api could not be reached: {exception.Message}");
        }
    }
}
