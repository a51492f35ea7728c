using System.Globalization;
using System.Text.Json;

namespace Cloudtalk.AppHost.Commands;

/// <summary>
/// The dashboard command "recompute-ratings" on Rating: runs Rating's rebuild
/// (<c>POST /api/operations/rating-rebuild</c>), which recomputes every product's rating from the Api's reviews and
/// republishes it, and reports what it corrected.
/// </summary>
public static class RecomputeRatingsCommand
{
    public const string Name = "recompute-ratings";

    public const string Path = "/api/operations/rating-rebuild";

    // A rebuild reads every product and review; on a large data set that takes minutes, not seconds.
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    public static IResourceBuilder<ProjectResource> WithRecomputeRatingsCommand(this IResourceBuilder<ProjectResource> rating,
        IResourceBuilder<ParameterResource> operationsKey)
    {
        var endpoint = rating.GetEndpoint("http");
        return rating.WithCommand(Name, "Recompute ratings", context => RecomputeAsync(endpoint, operationsKey.Resource, context), new CommandOptions
        {
            Description = "Rebuilds every product's rating from the Api's reviews and republishes it (repairs lost or corrupted events).",
            ConfirmationMessage = "Recompute every product's rating from the Api's reviews and republish it?",
            IconName = "ArrowSync",
            UpdateState = CommandState.EnabledWhenHealthy,
        });
    }

    private static async Task<ExecuteCommandResult> RecomputeAsync(EndpointReference endpoint, ParameterResource operationsKey,
        ExecuteCommandContext context)
    {
        using var client = await ServiceCommandClient.CreateAsync(endpoint, operationsKey, context.CancellationToken, Timeout);
        try
        {
            using var response = await client.PostAsync(Path, content: null, context.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(context.CancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return CommandResults.Failure($"The rebuild answered {(int)response.StatusCode}.", body, CommandResultFormat.Json);
            }

            using var report = JsonDocument.Parse(body);
            int Count(string name) => report.RootElement.GetProperty(name).GetInt32();
            return CommandResults.Success(
                string.Create(CultureInfo.InvariantCulture,
                    $"{Count("productsRepublished")} products recomputed and republished; {Count("productsCorrected")} were wrong, " +
                    $"{Count("reviewsCorrected")} review records corrected, {Count("reviewsRemoved")} removed."),
                body, CommandResultFormat.Json);
        }
        catch (HttpRequestException exception)
        {
            return CommandResults.Failure($"Rating could not be reached: {exception.Message}");
        }
    }
}
