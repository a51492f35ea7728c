namespace Cloudtalk.ServiceDefaults;

/// <summary>Marks an endpoint that requires the operations key (for the OpenAPI document).</summary>
public sealed class OperationsKeyRequirement
{
    public static OperationsKeyRequirement Instance { get; } = new();

    private OperationsKeyRequirement()
    {
    }
}
