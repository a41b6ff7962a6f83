# Static linking of the dependencies whose Debian -dev packages also ship a static archive.
#
# Why: `infertrace` starts in about 6 ms with a dozen shared libraries, most of it in the dynamic
# loader (symbol lookups and relocations for libprotobuf, libsqlite3, libbpf, ...) and in mapping
# them. That fixed cost is a third of the time on a 10 MB trace; linked from their archives these
# libraries cost nothing at start-up (docs/benchmarks.md, "Start-up"). libstdc++, simdjson and
# CUDA stay as they are (no archive, or shared state that must exist once per process).
option(INFERTRACE_STATIC_DEPS
       "Link protobuf, SQLite, zlib, libdeflate, libbpf and libelf from their static archives where installed" ON)

# The full paths of lib<name>.a for each name, in order, or nothing when one is missing.
function(infertrace_static_archives out)
  set(paths "")
  foreach(name IN LISTS ARGN)
    find_library(_archive NAMES lib${name}.a NO_CACHE)
    if(NOT _archive)
      set(${out} "" PARENT_SCOPE)
      return()
    endif()
    list(APPEND paths ${_archive})
    unset(_archive)
  endforeach()
  set(${out} ${paths} PARENT_SCOPE)
endfunction()

# Makes the imported `target` link the archives of NAMES (in link order: a library, then what it
# needs) instead of its shared library; leaves it shared when any archive is missing.
function(infertrace_link_static target)
  if(NOT INFERTRACE_STATIC_DEPS OR NOT TARGET ${target})
    return()
  endif()
  infertrace_static_archives(archives ${ARGN})
  if(NOT archives)
    message(STATUS "infertrace: ${target} linked shared (no static archive for all of: ${ARGN})")
    return()
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    # pkg-config targets: the link line is the interface itself.
    set_property(TARGET ${target} PROPERTY INTERFACE_LINK_LIBRARIES ${archives})
  else()
    # Find-module targets (UNKNOWN IMPORTED): the first archive is the library, the rest follow it.
    list(POP_FRONT archives first)
    set_property(TARGET ${target} PROPERTY IMPORTED_LOCATION ${first})
    get_target_property(configs ${target} IMPORTED_CONFIGURATIONS)
    if(configs)
      foreach(config IN LISTS configs)
        set_property(TARGET ${target} PROPERTY IMPORTED_LOCATION_${config} ${first})
      endforeach()
    endif()
    if(archives)
      set_property(TARGET ${target} APPEND PROPERTY INTERFACE_LINK_LIBRARIES ${archives})
    endif()
  endif()
  message(STATUS "infertrace: ${target} linked static")
endfunction()
