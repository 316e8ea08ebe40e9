public import AgentProtocol
import Foundation
import Subprocess

/// GPU discovery through `nvidia-smi`: a pure parser for its CSV output plus a runner that treats any failure as no GPUs.
public enum NvidiaSMI {
    /// The query for the inventory, `--format=csv,noheader`.
    public static let inventoryArguments = ["--query-gpu=index,uuid,name,memory.total,driver_version", "--format=csv,noheader"]

    /// Parses `index, uuid, name, memory.total, driver_version` lines such as
    /// `0, GPU-5f0e…, NVIDIA H200, 143771 MiB, 570.124.06`; malformed lines are skipped.
    public static func parseInventory(_ text: String) -> [GPUDevice] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 5, let index = Int(fields[0]), let memory = parseMemory(fields[3]) else { return nil }
            return GPUDevice(index: index, uuid: fields[1], name: fields[2], memoryBytes: memory, driverVersion: fields[4])
        }
    }

    /// Parses a memory field like `143771 MiB` (also KiB, GiB, or a bare MiB number) into bytes.
    public static func parseMemory(_ field: String) -> Int64? {
        let parts = field.split(separator: " ")
        guard let first = parts.first, let value = Int64(first) else { return nil }
        let unit = parts.count > 1 ? parts[1].lowercased() : "mib"
        switch unit {
        case "kib": return value << 10
        case "mib": return value << 20
        case "gib": return value << 30
        case "b", "bytes": return value
        default: return nil
        }
    }

    /// Parses `--query-gpu=utilization.gpu --format=csv,noheader,nounits` output into the mean percentage.
    public static func parseUtilization(_ text: String) -> Double? {
        let values = text.split(whereSeparator: \.isNewline).compactMap { Double($0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " %", with: "")) }
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// Runs `nvidia-smi` with `arguments` and returns its output, or nil when it is missing or fails.
    public static func run(_ arguments: [String]) async -> String? {
        let configuration = ProcessConfiguration(
            executable: "nvidia-smi", arguments: arguments, environment: ["PATH": "/usr/local/bin:/usr/bin:/bin:/usr/local/nvidia/bin", "LANG": "C"])
        guard let process = try? await RunningProcess.start(configuration) else { return nil }
        var bytes: [UInt8] = []
        for await chunk in process.output where bytes.count < 1 << 20 { bytes += chunk }
        guard await process.wait().exitCode == 0 else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The host's GPUs; empty without `nvidia-smi` or when it fails.
    public static func discover() async -> [GPUDevice] {
        guard let text = await run(inventoryArguments) else { return [] }
        return parseInventory(text)
    }

    /// The mean GPU utilisation, or nil.
    public static func utilization() async -> Double? {
        guard let text = await run(["--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"]) else { return nil }
        return parseUtilization(text)
    }
}
