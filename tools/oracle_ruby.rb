# frozen_string_literal: true
#
# An oracle for chainward's Gemfile.lock resolver, independent of its Rust code: the lockfile is
# read by real Bundler (`Bundler::LockfileParser`, from the `ruby` Debian package: Ruby 3.1,
# Bundler 2.3.7), versions are compared by real RubyGems (`Gem::Version`), and OSV ranges are
# evaluated by the OSV specification's own algorithm written out below. Nothing from the
# lockfile or the Gemfile is ever evaluated (the parser reads text; the Gemfile Bundler wants
# to find is an empty one in a temporary directory).
#
#   ruby tools/oracle_ruby.rb inventory  LOCKFILE        # specs, their sources and edges (JSON)
#   ruby tools/oracle_ruby.rb advisories LOCKFILE ZIP    # ids of the OSV records that match
#
# Bundler 2.3.7 predates the CHECKSUMS section (2.5): it skips it as an unknown section, so the
# inventory has no checksums.

require "json"
require "tmpdir"

empty = Dir.mktmpdir("oracle-gemfile")
File.write(File.join(empty, "Gemfile"), "")
ENV["BUNDLE_GEMFILE"] = File.join(empty, "Gemfile")
require "bundler"

DEFAULT_REMOTES = %w[https://rubygems.org/ http://rubygems.org/].freeze

def source_of(spec)
  src = spec.source
  case src
  when Bundler::Source::Git
    { "kind" => "git", "uri" => src.uri, "revision" => src.revision }
  when Bundler::Source::Path
    { "kind" => "path", "path" => src.path.to_s }
  when Bundler::Source::Rubygems
    remotes = src.remotes.map(&:to_s)
    { "kind" => "gem", "remotes" => remotes, "default" => remotes.any? { |r| DEFAULT_REMOTES.include?(r) } }
  else
    { "kind" => src.class.name }
  end
end

def inventory(lock)
  {
    "specs" => lock.specs.map do |s|
      {
        "name" => s.name,
        "version" => s.version.to_s,
        "platform" => s.platform.to_s == "ruby" ? nil : s.platform.to_s,
        "source" => source_of(s),
        "dependencies" => s.dependencies.map(&:name).sort,
      }
    end,
    "dependencies" => lock.dependencies.keys.sort,
    "bundler" => lock.bundler_version.to_s,
  }
end

# The OSV algorithm (https://ossf.github.io/osv-schema/#evaluation): events sorted by version,
# `introduced` turns affected on, `fixed` (>=) and `last_affected` (>) turn it off.
def affected?(version, affected)
  return true if (affected["versions"] || []).include?(version.to_s)

  (affected["ranges"] || []).any? do |range|
    next false unless range["type"] == "ECOSYSTEM"

    key = lambda do |e|
      v = e.values.first
      v == "0" ? Gem::Version.new("0") : Gem::Version.new(v)
    end
    state = false
    range["events"].sort_by(&key).each do |e|
      if e.key?("introduced")
        state = true if version >= key.call(e)
      elsif e.key?("fixed")
        state = false if version >= key.call(e)
      elsif e.key?("last_affected")
        state = false if version > key.call(e)
      end
    end
    state
  end
end

def advisories(lock, zip)
  records = []
  names = IO.popen(["unzip", "-Z1", zip], &:read).split("\n").select { |n| n.end_with?(".json") }
  names.each do |n|
    records << JSON.parse(IO.popen(["unzip", "-p", zip, n], &:read))
  end
  hits = {}
  lock.specs.each do |s|
    src = source_of(s)
    next unless src["kind"] == "gem" && src["default"]

    records.each do |r|
      next if r["withdrawn"]

      (r["affected"] || []).each do |a|
        pkg = a["package"] || {}
        next unless pkg["ecosystem"] == "RubyGems" && pkg["name"] == s.name
        next unless affected?(s.version, a)

        (hits[r["id"]] ||= []) << "#{s.name}@#{s.version}"
      end
    end
  end
  hits.keys.sort.map { |id| "#{id} #{hits[id].uniq.join(",")}" }
end

mode, file, zip = ARGV
lock = Bundler::LockfileParser.new(File.read(file))
case mode
when "inventory" then puts JSON.pretty_generate(inventory(lock))
when "advisories" then puts advisories(lock, zip)
else abort "usage: oracle_ruby.rb inventory|advisories LOCKFILE [ZIP]"
end
